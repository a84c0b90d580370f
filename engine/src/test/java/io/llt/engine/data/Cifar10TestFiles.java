package io.llt.engine.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes small CIFAR-10 binary files for the tests. Example {@code i} of a split (the training
 * files count as one sequence, in file order) has a label and pixels computed from {@code i}, so
 * every value a test reads can be checked independently of the loader.
 */
final class Cifar10TestFiles {
  /** Records per training file of {@link #dataset(Path)}: unequal, so file order shows. */
  static final int[] TRAIN_COUNTS = {3, 1, 2, 3, 2};

  /** Training examples of {@link #dataset(Path)}. */
  static final int N_TRAIN = Arrays.stream(TRAIN_COUNTS).sum();

  /** Test examples of {@link #dataset(Path)}. */
  static final int N_TEST = 2;

  private Cifar10TestFiles() {}

  /**
   * The pixel of example {@code i} of split 0 (train) or 1 (test) in channel {@code c} (0 red, 1
   * green, 2 blue) at row {@code y}, column {@code x}. Pixel (0, 0, 0) is {@code 17 i} for the
   * training split, unique for {@code i < 15}.
   */
  static int pixel(int split, int i, int c, int y, int x) {
    return (split * 101 + i * 17 + c * 85 + y * 7 + x * 3) & 0xFF;
  }

  /** The label of example {@code i} of split 0 (train) or 1 (test). */
  static int label(int split, int i) {
    return split == 0 ? (i * 3 + 1) % 10 : (i * 7 + 2) % 10;
  }

  /** Returns records {@code from} to {@code from + n - 1} of a split, as the file holds them. */
  static byte[] records(int split, int from, int n) {
    byte[] b = new byte[n * 3073];
    for (int k = 0; k < n; k++) {
      int i = from + k;
      int at = k * 3073;
      b[at++] = (byte) label(split, i);
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < 32; y++) {
          for (int x = 0; x < 32; x++) {
            b[at++] = (byte) pixel(split, i, c, y, x);
          }
        }
      }
    }
    return b;
  }

  /**
   * Writes the five training files with {@link #TRAIN_COUNTS} records and the test file with
   * {@link #N_TEST} into {@code dir}; returns {@code dir}.
   */
  static Path dataset(Path dir) {
    int from = 0;
    for (int f = 0; f < TRAIN_COUNTS.length; f++) {
      write(dir.resolve("data_batch_" + (f + 1) + ".bin"), records(0, from, TRAIN_COUNTS[f]));
      from += TRAIN_COUNTS[f];
    }
    write(dir.resolve("test_batch.bin"), records(1, 0, N_TEST));
    return dir;
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
}
