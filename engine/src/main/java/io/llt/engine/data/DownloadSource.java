package io.llt.engine.data;

import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where a dataset can be downloaded from, with the SHA-256 of every file, which is checked before a
 * downloaded file is used.
 *
 * @param baseUrl the URL that file names are appended to
 * @param sha256ByFile lower-case hex SHA-256 of each file to download, by file name (for IDX
 *     datasets the four {@code .gz} files)
 */
public record DownloadSource(URI baseUrl, Map<String, String> sha256ByFile) {
  /** The official Fashion-MNIST location (Zalando Research). */
  public static final URI FASHION_MNIST_URL =
      URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");

  /**
   * Fashion-MNIST from {@link #FASHION_MNIST_URL}, with the SHA-256 of the four published files.
   */
  public static final DownloadSource FASHION_MNIST =
      new DownloadSource(
          FASHION_MNIST_URL,
          orderedMap(
              "train-images-idx3-ubyte.gz",
              "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
              "train-labels-idx1-ubyte.gz",
              "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
              "t10k-images-idx3-ubyte.gz",
              "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
              "t10k-labels-idx1-ubyte.gz",
              "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"));

  /**
   * The datasets that may be downloaded, by name. MNIST and KMNIST are absent on purpose: no
   * verified hash is recorded for them, so they are never downloaded.
   */
  public static final Map<String, DownloadSource> KNOWN = Map.of("fashion-mnist", FASHION_MNIST);

  /** Validates and copies the components. */
  public DownloadSource {
    Objects.requireNonNull(baseUrl, "baseUrl");
    sha256ByFile = Collections.unmodifiableMap(new LinkedHashMap<>(sha256ByFile));
    for (Map.Entry<String, String> e : sha256ByFile.entrySet()) {
      if (!e.getValue().matches("[0-9a-fA-F]{64}")) {
        throw new IllegalArgumentException(
            "sha256 of " + e.getKey() + " must be 64 hex digits, found '" + e.getValue() + "'");
      }
    }
  }

  private static Map<String, String> orderedMap(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }
}
