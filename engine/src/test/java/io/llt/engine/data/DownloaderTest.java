package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.BadInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class DownloaderTest {
  @TempDir Path tmp;

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static long filesIn(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  @Test
  void goodHashPutsTheFileInPlace() throws Exception {
    byte[] body = "some bytes".getBytes(StandardCharsets.UTF_8);
    TestHttpServer server = new TestHttpServer();
    try {
      server.serve("a.bin", body);
      Path target = tmp.resolve("new/dir");
      Path f =
          new Downloader(server.baseUrl()).download("a.bin", sha256(body).toUpperCase(), target);

      assertThat(f).isEqualTo(target.resolve("a.bin"));
      assertThat(Files.readAllBytes(f)).isEqualTo(body);
      assertThat(filesIn(target)).isEqualTo(1); // no temporary file left
    } finally {
      server.close();
    }
  }

  @Test
  void badHashFailsWithBothHashesAndLeavesNothing() throws Exception {
    byte[] body = "tampered".getBytes(StandardCharsets.UTF_8);
    String expected = sha256("original".getBytes(StandardCharsets.UTF_8));
    TestHttpServer server = new TestHttpServer();
    try {
      server.serve("a.bin", body);
      Path target = tmp.resolve("dir");

      assertThatThrownBy(() -> new Downloader(server.baseUrl()).download("a.bin", expected, target))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining(server.baseUrl() + "a.bin")
          .hasMessageContaining("SHA-256 mismatch: expected " + expected + ", got " + sha256(body));
      assertThat(filesIn(target)).isZero();
    } finally {
      server.close();
    }
  }

  @Test
  void httpErrorFailsAndLeavesNothing() throws Exception {
    TestHttpServer server = new TestHttpServer();
    try {
      Path target = tmp.resolve("dir");
      assertThatThrownBy(
              () ->
                  new Downloader(server.baseUrl()).download("missing.bin", "0".repeat(64), target))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("missing.bin")
          .hasMessageEndingWith("missing.bin: HTTP status 404");
      assertThat(filesIn(target)).isZero();
    } finally {
      server.close();
    }
  }

  private static Map<String, byte[]> gzDataset() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(
        "train-images-idx3-ubyte.gz",
        IdxTestFiles.gzip(IdxTestFiles.images(4, 28, 28, IdxTestFiles.pixels(0, 4))));
    files.put(
        "train-labels-idx1-ubyte.gz",
        IdxTestFiles.gzip(IdxTestFiles.labels(IdxTestFiles.labelArray(0, 4))));
    files.put(
        "t10k-images-idx3-ubyte.gz",
        IdxTestFiles.gzip(IdxTestFiles.images(2, 28, 28, IdxTestFiles.pixels(1, 2))));
    files.put(
        "t10k-labels-idx1-ubyte.gz",
        IdxTestFiles.gzip(IdxTestFiles.labels(IdxTestFiles.labelArray(1, 2))));
    return files;
  }

  private DataContext context(boolean allowDownload) {
    return new DataContext(
        tmp,
        Map.of(),
        tmp.resolve("home"),
        tmp.resolve("system"),
        allowDownload,
        DataType.FLOAT,
        3L);
  }

  @Test
  void locatorDownloadsIntoTheCacheWhenNothingIsFound() throws Exception {
    Map<String, byte[]> files = gzDataset();
    TestHttpServer server = new TestHttpServer();
    try {
      Map<String, String> hashes = new LinkedHashMap<>();
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        server.serve(e.getKey(), e.getValue());
        hashes.put(e.getKey(), sha256(e.getValue()));
      }
      DatasetLocator locator =
          new DatasetLocator(
              context(true), Map.of("fashion-mnist", new DownloadSource(server.baseUrl(), hashes)));

      IdxFiles found = locator.locate("fashion-mnist", null);

      Path cache = tmp.resolve("home/.cache/llt/datasets/fashion-mnist").toAbsolutePath();
      assertThat(found.dir()).isEqualTo(cache);
      assertThat(filesIn(cache)).isEqualTo(4);
      assertThat(Files.readAllBytes(found.trainImages()))
          .isEqualTo(files.get("train-images-idx3-ubyte.gz"));
      assertThat(server.requests.get()).isEqualTo(4);

      // the second time the cache is used, with no request
      assertThat(locator.locate("fashion-mnist", null).dir()).isEqualTo(cache);
      assertThat(server.requests.get()).isEqualTo(4);
    } finally {
      server.close();
    }
  }

  @Test
  void locatorReportsAFailedDownloadInTheNotFoundMessage() throws Exception {
    Map<String, byte[]> files = gzDataset();
    TestHttpServer server = new TestHttpServer();
    try {
      Map<String, String> hashes = new LinkedHashMap<>();
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        server.serve(e.getKey(), e.getValue());
        hashes.put(e.getKey(), sha256(e.getValue()));
      }
      String good = hashes.get("t10k-images-idx3-ubyte.gz");
      String bad = "ab".repeat(32);
      hashes.put("t10k-images-idx3-ubyte.gz", bad);
      DatasetLocator locator =
          new DatasetLocator(
              context(true), Map.of("fashion-mnist", new DownloadSource(server.baseUrl(), hashes)));

      assertThatThrownBy(() -> locator.locate("fashion-mnist", null))
          .isInstanceOf(BadInputException.class)
          .hasMessageStartingWith(
              "dataset 'fashion-mnist' not found; looked in: data.path (not set)")
          .hasMessageContaining(
              "; download failed: " + server.baseUrl() + "t10k-images-idx3-ubyte.gz")
          .hasMessageContaining("expected " + bad + ", got " + good)
          .hasMessageContaining("sudo apt-get install dataset-fashion-mnist");
      Path cache = tmp.resolve("home/.cache/llt/datasets/fashion-mnist");
      assertThat(cache.resolve("t10k-images-idx3-ubyte.gz")).doesNotExist();
      try (Stream<Path> s = Files.list(cache)) {
        assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
      }
    } finally {
      server.close();
    }
  }

  @Test
  void locatorDoesNotDownloadWhenNotAllowed() throws Exception {
    TestHttpServer server = new TestHttpServer();
    try {
      DatasetLocator locator =
          new DatasetLocator(
              context(false),
              Map.of("fashion-mnist", new DownloadSource(server.baseUrl(), Map.of())));
      assertThatThrownBy(() -> locator.locate("fashion-mnist", null))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("download not allowed in this run");
      assertThat(server.requests.get()).isZero();
    } finally {
      server.close();
    }
  }

  @Test
  void unreachableServerIsADownloadFailure() throws Exception {
    TestHttpServer server = new TestHttpServer();
    java.net.URI url = server.baseUrl();
    server.close(); // nothing listens on the port any more
    assertThatThrownBy(
            () ->
                new Downloader(
                        url, java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(2))
                    .download("a.bin", "0".repeat(64), tmp.resolve("d")))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(url + "a.bin: cannot download (");
  }
}
