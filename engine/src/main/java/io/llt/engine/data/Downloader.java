package io.llt.engine.data;

import io.llt.engine.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Downloads files from one base URL and verifies their SHA-256 before they become visible.
 *
 * <p>{@link #download} fetches {@code baseUrl + fileName} into a temporary file in the target
 * directory, hashing while it writes. On a matching hash the temporary file is moved into place
 * with {@link StandardCopyOption#ATOMIC_MOVE}, so a reader never sees a partial or unverified file;
 * on a mismatch or any failure it is deleted. Thread-safe (one {@link HttpClient} shared by all
 * calls); concurrent downloads of the same file into the same directory are safe because each
 * writes its own temporary file and the last verified move wins.
 */
public final class Downloader {
  /** Default time allowed to open a connection. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(20);

  /** Default time allowed between sending a request and receiving the response headers. */
  public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(60);

  private final URI baseUrl;
  private final Duration responseTimeout;
  private final HttpClient client;

  /**
   * Creates a downloader with the default timeouts.
   *
   * @param baseUrl the URL that file names are appended to; a trailing {@code /} is added when
   *     missing
   */
  public Downloader(URI baseUrl) {
    this(baseUrl, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT);
  }

  /**
   * Creates a downloader.
   *
   * @param baseUrl the URL that file names are appended to; a trailing {@code /} is added when
   *     missing
   * @param connectTimeout the time allowed to open a connection
   * @param responseTimeout the time allowed until the response headers arrive
   */
  public Downloader(URI baseUrl, Duration connectTimeout, Duration responseTimeout) {
    Objects.requireNonNull(baseUrl, "baseUrl");
    String s = baseUrl.toString();
    this.baseUrl = URI.create(s.endsWith("/") ? s : s + "/");
    this.responseTimeout = Objects.requireNonNull(responseTimeout, "responseTimeout");
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(Objects.requireNonNull(connectTimeout, "connectTimeout"))
            .followRedirects(HttpClient.Redirect.NORMAL)
            .proxy(ProxySelector.getDefault())
            .build();
  }

  /** Returns the base URL, ending with {@code /}. */
  public URI baseUrl() {
    return baseUrl;
  }

  /**
   * Downloads {@code baseUrl + fileName} to {@code targetDir/fileName} and verifies its SHA-256.
   *
   * @param fileName the file name, appended to the base URL and used as the target name
   * @param expectedSha256 the expected lower- or upper-case hex SHA-256 of the downloaded bytes
   * @param targetDir the directory to put the file in; created when missing
   * @return the path of the verified file
   * @throws BadInputException when the download fails or the hash does not match (the message gives
   *     both hashes); nothing is left behind in either case
   */
  public Path download(String fileName, String expectedSha256, Path targetDir) {
    if (fileName.isEmpty() || fileName.contains("/") || fileName.contains("\\")) {
      throw new IllegalArgumentException(
          "fileName must be a plain file name, found '" + fileName + "'");
    }
    String expected = expectedSha256.toLowerCase(Locale.ROOT);
    URI url = baseUrl.resolve(fileName);
    Path target = targetDir.resolve(fileName);
    Path tmp = null;
    try {
      Files.createDirectories(targetDir);
      tmp = Files.createTempFile(targetDir, "." + fileName + ".", ".part");
      String actual = fetch(url, tmp);
      if (!actual.equals(expected)) {
        throw new BadInputException(
            url
                + ": SHA-256 mismatch: expected "
                + expected
                + ", got "
                + actual
                + "; the download is corrupt or the file changed upstream, so it was discarded");
      }
      moveIntoPlace(tmp, target);
      tmp = null;
      return target;
    } catch (IOException e) {
      throw new BadInputException(url + ": cannot download (" + describe(e) + ")", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BadInputException(url + ": download interrupted", e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // Best effort: the temporary file has a hidden ".part" name and is never read.
        }
      }
    }
  }

  /** Streams the response body of {@code url} into {@code tmp}; returns its SHA-256. */
  private String fetch(URI url, Path tmp) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(url).timeout(responseTimeout).GET().build();
    HttpResponse<InputStream> response =
        client.send(request, HttpResponse.BodyHandlers.ofInputStream());
    MessageDigest md = Sha256.digest();
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw new BadInputException(url + ": HTTP status " + response.statusCode());
      }
      try (InputStream in = new DigestInputStream(body, md);
          OutputStream out = Files.newOutputStream(tmp)) {
        in.transferTo(out);
      }
    }
    return Sha256.hex(md.digest());
  }

  private static void moveIntoPlace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(
          "cannot move " + tmp + " into place atomically (" + e.getMessage() + ")", e);
    }
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
  }
}
