package io.llt.engine.data;

import io.llt.engine.BadInputException;
import io.llt.engine.config.Checks;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loader behind the 28x28, 10-class IDX datasets ({@link FashionMnistConfig}, {@link
 * MnistConfig}, {@link KmnistConfig}), which differ only in their name.
 */
final class IdxDataSource {
  /** Rows and columns of every image of the MNIST family. */
  static final int SIDE = 28;

  /** Number of classes of every dataset of the MNIST family. */
  static final int NUM_CLASSES = 10;

  private static final Logger LOG = LoggerFactory.getLogger(IdxDataSource.class);

  private IdxDataSource() {}

  /** Returns the example shape of the MNIST family, {@code [1, 28, 28]} (a new array). */
  static long[] exampleShape() {
    return new long[] {1, SIDE, SIDE};
  }

  /** The single-field checks of the three config records' compact constructors. */
  static void check(Integer validation, Integer trainLimit, Integer testLimit) {
    Checks.nonNegative("validation", validation);
    Checks.positive("trainLimit", trainLimit);
    Checks.positive("testLimit", testLimit);
  }

  /**
   * Locates, reads, checks, splits and normalises dataset {@code name}.
   *
   * @param name the dataset name, for example {@code fashion-mnist}
   * @param path the config's {@code data.path}, or null
   * @param validation the number of training examples to hold out for validation
   * @param normalization how pixels become features
   * @param trainLimit use only the first this many training examples, or null for all
   * @param testLimit use only the first this many test examples, or null for all
   * @param context where to look, the feature data type and the seed
   */
  static DataSplits load(
      String name,
      Path path,
      int validation,
      Normalization normalization,
      Integer trainLimit,
      Integer testLimit,
      DataContext context) {
    Objects.requireNonNull(normalization, "normalization");
    DataArrays.requireFloating(context.dataType());
    IdxFiles files = new DatasetLocator(context).locate(name, path);
    long t0 = System.nanoTime();

    IdxImages trainImages = readImages(files.trainImages(), name);
    int[] trainLabels = readLabels(files.trainLabels(), trainImages, files.trainImages());
    IdxImages testImages = readImages(files.testImages(), name);
    int[] testLabels = readLabels(files.testLabels(), testImages, files.testImages());

    int nTrain =
        trainLimit == null ? trainImages.count() : Math.min(trainLimit, trainImages.count());
    int nTest = testLimit == null ? testImages.count() : Math.min(testLimit, testImages.count());
    DataArrays.checkValidation(validation, nTrain, trainLimit);
    int[][] split = DataArrays.holdOut(nTrain, validation, context.seed());
    int[] trainRows = split[0];
    int[] validationRows = split[1];

    float[] lut =
        DataArrays.lookupTable(normalization, trainImages.pixels(), SIDE * SIDE, trainRows);
    long[] shape = exampleShape();
    Dataset train = dataset(trainImages, trainLabels, trainRows, lut, shape, context);
    Dataset val = null;
    Dataset test;
    try {
      if (validation > 0) {
        val = dataset(trainImages, trainLabels, validationRows, lut, shape, context);
      }
      test = dataset(testImages, testLabels, DataArrays.range(nTest), lut, shape, context);
    } catch (RuntimeException | Error e) {
      train.features().close();
      if (val != null) {
        val.features().close();
      }
      throw e;
    }

    List<DataFile> provenance =
        List.of(
            dataFile(files.trainImages()),
            dataFile(files.trainLabels()),
            dataFile(files.testImages()),
            dataFile(files.testLabels()));
    LOG.debug(
        "loaded {} from {}: train {}, validation {}, test {} in {} ms",
        name,
        files.dir(),
        train.size(),
        validation,
        test.size(),
        (System.nanoTime() - t0) / 1_000_000);
    return new DataSplits(name, train, val, test, provenance);
  }

  private static IdxImages readImages(Path file, String name) {
    IdxImages images = IdxReader.readImages(file);
    if (images.rows() != SIDE || images.cols() != SIDE) {
      throw new BadInputException(
          file
              + ": images are "
              + images.rows()
              + "x"
              + images.cols()
              + ", expected "
              + SIDE
              + "x"
              + SIDE
              + " for '"
              + name
              + "'");
    }
    if (images.count() == 0) {
      throw new BadInputException(file + ": holds no images; re-download or reinstall the dataset");
    }
    return images;
  }

  private static int[] readLabels(Path file, IdxImages images, Path imageFile) {
    int[] labels = IdxReader.readLabels(file);
    if (labels.length != images.count()) {
      throw new BadInputException(
          file
              + ": "
              + labels.length
              + " labels but "
              + imageFile.getFileName()
              + " has "
              + images.count()
              + " images; the two files must come from the same release");
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] >= NUM_CLASSES) {
        throw new BadInputException(
            file
                + ": label "
                + labels[i]
                + " of example "
                + i
                + " is outside 0.."
                + (NUM_CLASSES - 1));
      }
    }
    return labels;
  }

  private static Dataset dataset(
      IdxImages images, int[] labels, int[] rows, float[] lut, long[] shape, DataContext context) {
    INDArray features =
        DataArrays.fromBytes(
            images.pixels(), images.pixelsPerImage(), rows, lut, context.dataType());
    return new Dataset(
        features, DataArrays.gather(labels, rows), NUM_CLASSES, shape.clone(), PixelMap.of(lut));
  }

  private static DataFile dataFile(Path file) {
    return new DataFile(file, Sha256.of(file));
  }
}
