package io.llt.engine.data;

import io.llt.engine.BadInputException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loader behind {@link Cifar10Config}: the binary version of CIFAR-10, whose files are
 * sequences of 3073-byte records, one label byte 0..9 then 1024 red, 1024 green and 1024 blue
 * pixel bytes, each plane 32x32 row-major. A record's pixel bytes are therefore already one
 * example of shape {@code [3, 32, 32]} in C order, and become one feature row as they are.
 */
final class Cifar10DataSource {
  /** The type id, also the dataset's directory name. */
  static final String NAME = "cifar10";

  /** Channels, rows and columns of every image. */
  static final int CHANNELS = 3;

  /** Rows and columns of every image. */
  static final int SIDE = 32;

  /** Number of classes. */
  static final int NUM_CLASSES = 10;

  /** Pixel bytes of one record, {@code 3 * 32 * 32}. */
  static final int PIXELS = CHANNELS * SIDE * SIDE;

  /** Bytes of one record: the label byte and the pixel bytes. */
  static final int RECORD_BYTES = 1 + PIXELS;

  /** The training files, read in this order. */
  static final List<String> TRAIN_FILES =
      List.of(
          "data_batch_1.bin",
          "data_batch_2.bin",
          "data_batch_3.bin",
          "data_batch_4.bin",
          "data_batch_5.bin");

  /** The test file. */
  static final String TEST_FILE = "test_batch.bin";

  /** The directory the official archive extracts to, also tried inside each search place. */
  static final String ARCHIVE_DIR = "cifar-10-batches-bin";

  /** The official archive of the binary version. */
  static final String ARCHIVE_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

  private static final String FIX = "re-extract " + ARCHIVE_URL;

  /** Records copied per read: about 3 MB. */
  private static final int RECORDS_PER_READ = 1024;

  private static final Logger LOG = LoggerFactory.getLogger(Cifar10DataSource.class);

  private Cifar10DataSource() {}

  /** Returns the example shape, {@code [3, 32, 32]} (a new array). */
  static long[] exampleShape() {
    return new long[] {CHANNELS, SIDE, SIDE};
  }

  /** Returns the six files in the order they are read: the five training files, then the test. */
  static List<String> fileNames() {
    List<String> names = new ArrayList<>(TRAIN_FILES);
    names.add(TEST_FILE);
    return List.copyOf(names);
  }

  /**
   * Locates, reads, checks, splits and normalises CIFAR-10.
   *
   * @param path the config's {@code data.path}, or null
   * @param validation the number of training examples to hold out for validation
   * @param normalization how pixels become features
   * @param trainLimit use only the first this many training examples, or null for all
   * @param testLimit use only the first this many test examples, or null for all
   * @param context where to look, the feature data type and the seed
   */
  static DataSplits load(
      Path path,
      int validation,
      Normalization normalization,
      Integer trainLimit,
      Integer testLimit,
      DataContext context) {
    Objects.requireNonNull(normalization, "normalization");
    DataArrays.requireFloating(context.dataType());
    Path dir =
        new DatasetLocator(context)
            .locateFiles(NAME, path, fileNames(), ARCHIVE_DIR, howToGet());
    long t0 = System.nanoTime();

    List<Path> trainFiles = new ArrayList<>();
    for (String f : TRAIN_FILES) {
      trainFiles.add(dir.resolve(f));
    }
    List<DataFile> provenance = new ArrayList<>();
    Records train = read(trainFiles, trainLimit, provenance);
    Records test = read(List.of(dir.resolve(TEST_FILE)), testLimit, provenance);

    int nTrain = train.labels().length;
    DataArrays.checkValidation(validation, nTrain, trainLimit);
    int[][] split = DataArrays.holdOut(nTrain, validation, context.seed());
    int[] trainRows = split[0];
    int[] validationRows = split[1];

    float[] lut = DataArrays.lookupTable(normalization, train.pixels(), PIXELS, trainRows);
    Dataset trainSet = dataset(train, trainRows, lut, context);
    Dataset val = null;
    Dataset testSet;
    try {
      if (validation > 0) {
        val = dataset(train, validationRows, lut, context);
      }
      testSet = dataset(test, DataArrays.range(test.labels().length), lut, context);
    } catch (RuntimeException | Error e) {
      trainSet.features().close();
      if (val != null) {
        val.features().close();
      }
      throw e;
    }
    LOG.debug(
        "loaded {} from {}: train {}, validation {}, test {} in {} ms",
        NAME,
        dir,
        trainSet.size(),
        validation,
        testSet.size(),
        (System.nanoTime() - t0) / 1_000_000);
    return new DataSplits(NAME, trainSet, val, testSet, provenance);
  }

  /** The end of the not-found message: which files, where, and where they come from. */
  static String howToGet() {
    return "Put "
        + String.join(", ", fileNames())
        + " (the binary version) in one of those directories or in its "
        + ARCHIVE_DIR
        + " sub-directory (where "
        + ARCHIVE_URL
        + " extracts), or set data.path to theirs";
  }

  /**
   * The labels and pixels of the first records of a sequence of files.
   *
   * @param labels the label of each record, 0..9
   * @param pixels {@link #PIXELS} bytes per record, record after record, as in the file
   */
  record Records(int[] labels, byte[] pixels) {}

  /**
   * Reads the records of {@code files} as one sequence, keeping the first {@code limit} (all when
   * null). Every record of every file is checked and every file is hashed in the same pass; a
   * {@link DataFile} per file is added to {@code provenance}.
   */
  static Records read(List<Path> files, Integer limit, List<DataFile> provenance) {
    long[] counts = new long[files.size()];
    long total = 0;
    for (int i = 0; i < counts.length; i++) {
      counts[i] = recordCount(files.get(i));
      total += counts[i];
    }
    long kept = limit == null ? total : Math.min(limit, total);
    if (kept * PIXELS > Integer.MAX_VALUE - 16) {
      throw new BadInputException(
          files.get(0).getParent()
              + ": "
              + kept
              + " CIFAR-10 records do not fit in memory at once; set data.trainLimit or"
              + " data.testLimit to at most "
              + (Integer.MAX_VALUE - 16) / PIXELS);
    }
    int[] labels = new int[(int) kept];
    byte[] pixels = new byte[(int) kept * PIXELS];
    byte[] chunk = new byte[RECORDS_PER_READ * RECORD_BYTES];
    int at = 0; // records kept so far
    for (int i = 0; i < counts.length; i++) {
      Path file = files.get(i);
      MessageDigest md = Sha256.digest();
      try (InputStream in =
          new DigestInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16), md)) {
        for (long r0 = 0; r0 < counts[i]; r0 += RECORDS_PER_READ) {
          int n = (int) Math.min(RECORDS_PER_READ, counts[i] - r0);
          int len = n * RECORD_BYTES;
          int got = in.readNBytes(chunk, 0, len);
          if (got != len) {
            throw new BadInputException(
                file + ": ended after " + (r0 * RECORD_BYTES + got) + " bytes while being read; "
                    + FIX);
          }
          for (int k = 0; k < n; k++) {
            int base = k * RECORD_BYTES;
            int label = chunk[base] & 0xFF;
            if (label >= NUM_CLASSES) {
              throw new BadInputException(
                  file
                      + ": label "
                      + label
                      + " of record "
                      + (r0 + k)
                      + " is outside 0.."
                      + (NUM_CLASSES - 1)
                      + "; is it a CIFAR-10 binary batch? "
                      + FIX);
            }
            if (at < kept) {
              labels[at] = label;
              System.arraycopy(chunk, base + 1, pixels, at * PIXELS, PIXELS);
              at++;
            }
          }
        }
        if (in.read() >= 0) {
          throw new BadInputException(file + ": grew while being read; " + FIX);
        }
      } catch (IOException e) {
        throw ioFailure(file, e);
      }
      provenance.add(new DataFile(file, Sha256.hex(md.digest())));
    }
    return new Records(labels, pixels);
  }

  /** Returns the number of records of {@code file}, failing unless it holds a whole number. */
  private static long recordCount(Path file) {
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw ioFailure(file, e);
    }
    String record =
        RECORD_BYTES + "-byte CIFAR-10 records (1 label byte + " + PIXELS + " pixel bytes); " + FIX;
    if (size == 0) {
      throw new BadInputException(file + ": is empty (0 bytes), expected " + record);
    }
    if (size % RECORD_BYTES != 0) {
      throw new BadInputException(
          file + ": " + size + " bytes is not a whole number of " + record);
    }
    return size / RECORD_BYTES;
  }

  private static BadInputException ioFailure(Path file, IOException e) {
    if (e instanceof NoSuchFileException) {
      return new BadInputException(file + ": no such file; " + FIX, e);
    }
    return new BadInputException(file + ": cannot read: " + e, e);
  }

  private static Dataset dataset(Records records, int[] rows, float[] lut, DataContext context) {
    INDArray features =
        DataArrays.fromBytes(records.pixels(), PIXELS, rows, lut, context.dataType());
    return new Dataset(
        features, DataArrays.gather(records.labels(), rows), NUM_CLASSES, exampleShape(),
        PixelMap.of(lut));
  }
}
