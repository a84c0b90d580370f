package io.llt.engine.data;

import io.llt.engine.BadInputException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files of unsigned bytes (the MNIST family's format), raw or gzip-compressed.
 *
 * <p>Compression is detected from the first two bytes ({@code 1f 8b}), not from the file name. The
 * header is checked (magic, data type {@code 0x08}, dimension count, non-negative sizes) and the
 * file must hold exactly the number of data bytes the header promises: a short file is reported as
 * truncated, extra bytes as trailing garbage. Every problem is a one-line {@link BadInputException}
 * that starts with the file name. Stateless and thread-safe.
 */
public final class IdxReader {
  /** Magic number of an IDX file of unsigned bytes with three dimensions (images). */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** Magic number of an IDX file of unsigned bytes with one dimension (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  private static final int UNSIGNED_BYTE = 0x08;
  private static final int BUFFER_BYTES = 1 << 16;
  private static final int CHUNK_BYTES = 1 << 20;
  private static final int MAX_ARRAY_BYTES = Integer.MAX_VALUE - 16;
  private static final String FIX = "re-download or reinstall the dataset";

  private IdxReader() {}

  /**
   * Reads an image file (magic {@code 0x00000803}: count, rows, cols, then the pixels).
   *
   * @param file the file, raw or gzip-compressed
   * @return the images
   * @throws BadInputException when the file is missing, unreadable or malformed
   */
  public static IdxImages readImages(Path file) {
    try (InputStream in = open(file)) {
      int[] dims = readHeader(file, in, IMAGES_MAGIC, "image");
      long n = (long) dims[0] * dims[1] * dims[2];
      byte[] data = readData(file, in, n);
      return new IdxImages(dims[0], dims[1], dims[2], data);
    } catch (IOException e) {
      throw ioFailure(file, e);
    }
  }

  /**
   * Reads a label file (magic {@code 0x00000801}: count, then one unsigned byte per label).
   *
   * @param file the file, raw or gzip-compressed
   * @return the labels, each in 0..255
   * @throws BadInputException when the file is missing, unreadable or malformed
   */
  public static int[] readLabels(Path file) {
    try (InputStream in = open(file)) {
      int[] dims = readHeader(file, in, LABELS_MAGIC, "label");
      byte[] data = readData(file, in, dims[0]);
      int[] labels = new int[data.length];
      for (int i = 0; i < data.length; i++) {
        labels[i] = data[i] & 0xFF;
      }
      return labels;
    } catch (IOException e) {
      throw ioFailure(file, e);
    }
  }

  /** Returns true when the file starts with the gzip magic bytes {@code 1f 8b}. */
  static boolean isGzip(byte[] firstTwo) {
    return firstTwo.length == 2 && (firstTwo[0] & 0xFF) == 0x1f && (firstTwo[1] & 0xFF) == 0x8b;
  }

  private static InputStream open(Path file) throws IOException {
    BufferedInputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER_BYTES);
    try {
      raw.mark(2);
      byte[] head = raw.readNBytes(2);
      raw.reset();
      if (isGzip(head)) {
        return new BufferedInputStream(new GZIPInputStream(raw, BUFFER_BYTES), BUFFER_BYTES);
      }
      return raw;
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  /** Reads and checks the header; returns the dimension sizes. */
  private static int[] readHeader(Path file, InputStream in, int expectedMagic, String kind)
      throws IOException {
    byte[] magicBytes = in.readNBytes(4);
    if (magicBytes.length < 4) {
      throw fail(
          file, "truncated IDX file: %d bytes, too short for a header; %s", magicBytes.length, FIX);
    }
    int magic = toInt(magicBytes, 0);
    int dataType = (magic >>> 8) & 0xFF;
    int numDims = magic & 0xFF;
    int expectedDims = expectedMagic & 0xFF;
    if ((magic >>> 16) != 0) {
      throw fail(
          file,
          "not an IDX %s file (magic 0x%08x, expected 0x%08x); point the data source at the IDX"
              + " files",
          kind,
          magic,
          expectedMagic);
    }
    if (dataType != UNSIGNED_BYTE) {
      throw fail(
          file,
          "IDX data type 0x%02x (%s) is not supported, only 0x08 (unsigned byte); magic 0x%08x,"
              + " expected 0x%08x",
          dataType,
          typeName(dataType),
          magic,
          expectedMagic);
    }
    if (numDims != expectedDims) {
      throw fail(
          file,
          "not an IDX %s file (magic 0x%08x, expected 0x%08x: %d dimensions instead of %d)",
          kind,
          magic,
          expectedMagic,
          numDims,
          expectedDims);
    }
    byte[] sizeBytes = in.readNBytes(4 * numDims);
    if (sizeBytes.length < 4 * numDims) {
      throw fail(
          file,
          "truncated IDX file: header ends after %d bytes, expected %d; %s",
          4 + sizeBytes.length,
          4 + 4 * numDims,
          FIX);
    }
    int[] dims = new int[numDims];
    long total = 1;
    for (int d = 0; d < numDims; d++) {
      dims[d] = toInt(sizeBytes, 4 * d);
      if (dims[d] < 0 || (d > 0 && dims[d] == 0)) {
        throw fail(
            file,
            "bad IDX header: dimension %d has size %d (header sizes %s); %s",
            d,
            dims[d],
            Arrays.toString(dims),
            FIX);
      }
      total *= dims[d];
    }
    if (total > MAX_ARRAY_BYTES) {
      throw fail(
          file,
          "IDX header promises %d bytes of data (sizes %s), more than one array can hold; %s",
          total,
          Arrays.toString(dims),
          FIX);
    }
    return dims;
  }

  /** Reads exactly {@code n} data bytes and checks that nothing follows them. */
  private static byte[] readData(Path file, InputStream in, long n) throws IOException {
    int size = (int) n;
    byte[] data = new byte[Math.min(size, 64 << 20)];
    int read = 0;
    try {
      while (read < size) {
        if (read == data.length) {
          data = Arrays.copyOf(data, (int) Math.min((long) data.length * 2, size));
        }
        int got = in.readNBytes(data, read, Math.min(CHUNK_BYTES, data.length - read));
        if (got == 0) {
          break;
        }
        read += got;
      }
    } catch (EOFException e) {
      BadInputException failure =
          fail(
              file,
              "truncated IDX file: header promises %d bytes of data, found %d before the compressed"
                  + " stream ended (%s); %s",
              n,
              read,
              e.getMessage(),
              FIX);
      failure.initCause(e);
      throw failure;
    }
    if (read < size) {
      throw fail(
          file, "truncated IDX file: header promises %d bytes of data, found %d; %s", n, read, FIX);
    }
    long extra = 0;
    byte[] probe = new byte[8192];
    int got;
    while ((got = in.read(probe)) > 0) {
      extra += got;
    }
    if (extra > 0) {
      throw fail(
          file,
          "IDX file has %d bytes of trailing garbage after the %d bytes of data the header"
              + " promises; %s",
          extra,
          n,
          FIX);
    }
    return data;
  }

  /** Returns a {@link BadInputException} whose message is {@code file + ": " + format(...)}. */
  private static BadInputException fail(Path file, String format, Object... args) {
    return new BadInputException(file + ": " + String.format(Locale.ROOT, format, args));
  }

  private static BadInputException ioFailure(Path file, IOException e) {
    if (e instanceof NoSuchFileException) {
      return new BadInputException(file + ": no such file", e);
    }
    if (e instanceof ZipException || e instanceof EOFException) {
      return new BadInputException(
          file + ": corrupt gzip data (" + e.getMessage() + "); " + FIX, e);
    }
    return new BadInputException(file + ": cannot read: " + e, e);
  }

  private static int toInt(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24)
        | ((b[off + 1] & 0xFF) << 16)
        | ((b[off + 2] & 0xFF) << 8)
        | (b[off + 3] & 0xFF);
  }

  private static String typeName(int t) {
    switch (t) {
      case 0x09:
        return "signed byte";
      case 0x0B:
        return "short";
      case 0x0C:
        return "int";
      case 0x0D:
        return "float";
      case 0x0E:
        return "double";
      default:
        return "unknown";
    }
  }
}
