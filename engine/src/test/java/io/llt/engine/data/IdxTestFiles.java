package io.llt.engine.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files and datasets for the tests. */
final class IdxTestFiles {
  private IdxTestFiles() {}

  /** Returns the bytes of an IDX image file. */
  static byte[] images(int count, int rows, int cols, byte[] pixels) {
    ByteBuffer b = ByteBuffer.allocate(16 + pixels.length);
    b.putInt(IdxReader.IMAGES_MAGIC).putInt(count).putInt(rows).putInt(cols).put(pixels);
    return b.array();
  }

  /** Returns the bytes of an IDX label file. */
  static byte[] labels(int[] labels) {
    ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
    b.putInt(IdxReader.LABELS_MAGIC).putInt(labels.length);
    for (int l : labels) {
      b.put((byte) l);
    }
    return b.array();
  }

  /** Returns {@code bytes} gzip-compressed. */
  static byte[] gzip(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Writes {@code bytes} to {@code file}, creating parent directories. */
  static Path write(Path file, byte[] bytes) {
    try {
      Files.createDirectories(file.getParent());
      return Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The pixel value of image {@code i}, pixel {@code p} in the generated datasets. */
  static int pixel(int split, int i, int p) {
    return (split * 7 + i * 31 + p * 13 + (p * p) % 17) & 0xFF;
  }

  /** The label of image {@code i} in the generated datasets. */
  static int label(int split, int i) {
    return (i * 3 + split) % 10;
  }

  /** Returns the pixels of {@code n} generated 28x28 images of split 0 (train) or 1 (test). */
  static byte[] pixels(int split, int n) {
    byte[] px = new byte[n * 784];
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < 784; p++) {
        px[i * 784 + p] = (byte) pixel(split, i, p);
      }
    }
    return px;
  }

  /** Returns the labels of {@code n} generated images of split 0 (train) or 1 (test). */
  static int[] labelArray(int split, int n) {
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      l[i] = label(split, i);
    }
    return l;
  }

  /** Writes a complete 28x28, 10-class IDX dataset into {@code dir}; returns {@code dir}. */
  static Path dataset(Path dir, int nTrain, int nTest, boolean gzip) {
    String gz = gzip ? ".gz" : "";
    write(
        dir.resolve("train-images-idx3-ubyte" + gz),
        maybeGzip(images(nTrain, 28, 28, pixels(0, nTrain)), gzip));
    write(
        dir.resolve("train-labels-idx1-ubyte" + gz),
        maybeGzip(labels(labelArray(0, nTrain)), gzip));
    write(
        dir.resolve("t10k-images-idx3-ubyte" + gz),
        maybeGzip(images(nTest, 28, 28, pixels(1, nTest)), gzip));
    write(
        dir.resolve("t10k-labels-idx1-ubyte" + gz), maybeGzip(labels(labelArray(1, nTest)), gzip));
    return dir;
  }

  private static byte[] maybeGzip(byte[] b, boolean gzip) {
    return gzip ? gzip(b) : b;
  }
}
