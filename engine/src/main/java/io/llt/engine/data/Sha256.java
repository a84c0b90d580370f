package io.llt.engine.data;

import io.llt.engine.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers for data provenance and download checks. */
public final class Sha256 {
  private Sha256() {}

  /** Returns a fresh SHA-256 digest. */
  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** Returns the lower-case hex SHA-256 of the bytes of {@code file} as stored. */
  public static String of(Path file) {
    MessageDigest md = digest();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot read: " + e, e);
    }
    return hex(md.digest());
  }

  /** Returns {@code bytes} as lower-case hex. */
  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
