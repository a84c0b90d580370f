package io.llt.engine.data;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.DataConfig;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Seeded Gaussian clusters, for tests and smoke runs: no files, deterministic for a seed, and
 * learnable by a linear model. Type id {@code synthetic}.
 *
 * <p>A {@link SplittableRandom} seeded with {@link DataContext#seed()} first draws one mean per
 * class, a random unit vector (Gaussian components, normalised to length 1). Then, for each
 * training example followed by each test example, it draws a class uniformly and the features
 * {@code mean[class] + noise * N(0, 1)} per component. The validation split is held out of the
 * training examples by a seeded permutation. Features are {@code [n, features]} in the context's
 * data type, with example shape {@code [features]}.
 *
 * @param features the number of features per example, {@code > 0}; default 16
 * @param classes the number of classes, {@code >= 2}; default 3
 * @param trainSize the number of training examples generated, validation included, {@code > 0};
 *     default 512
 * @param testSize the number of test examples, {@code > 0}; default 256
 * @param validation the number of training examples held out for validation, {@code >= 0} and less
 *     than {@code trainSize}; default 0 (no validation split)
 * @param noise the standard deviation of the Gaussian noise around each class mean, {@code >= 0};
 *     default 0.5 (with unit-length means the classes overlap a little)
 */
public record SyntheticConfig(
    Integer features,
    Integer classes,
    Integer trainSize,
    Integer testSize,
    Integer validation,
    Double noise)
    implements DataConfig {
  /** The type id. */
  public static final String ID = "synthetic";

  /** Fills defaults for unset components and validates each one. */
  public SyntheticConfig {
    features = features == null ? 16 : features;
    classes = classes == null ? 3 : classes;
    trainSize = trainSize == null ? 512 : trainSize;
    testSize = testSize == null ? 256 : testSize;
    validation = validation == null ? 0 : validation;
    noise = noise == null ? 0.5 : noise;
    Checks.positive("features", features);
    if (classes < 2) {
      throw new InvalidValueException("classes", "must be >= 2, found " + classes);
    }
    Checks.positive("trainSize", trainSize);
    Checks.positive("testSize", testSize);
    Checks.nonNegative("validation", validation);
    if (validation >= trainSize) {
      throw new InvalidValueException(
          "validation", "must be less than trainSize (" + trainSize + "), found " + validation);
    }
    if (!(noise >= 0) || noise.isInfinite()) {
      throw new InvalidValueException("noise", "must be finite and >= 0, found " + noise);
    }
    if ((long) features * Math.max(trainSize, testSize) > Integer.MAX_VALUE - 16) {
      throw new InvalidValueException(
          "features",
          "features * max(trainSize, testSize) must fit in one array, found "
              + features
              + " * "
              + Math.max(trainSize, testSize));
    }
  }

  /** Returns the config with every component at its default. */
  public static SyntheticConfig defaults() {
    return new SyntheticConfig(null, null, null, null, null, null);
  }

  /** Returns {@code [features]}. */
  @Override
  public long[] exampleShape() {
    return new long[] {features};
  }

  /** Returns {@link #classes()}. */
  @Override
  public int numClasses() {
    return classes;
  }

  /** {@inheritDoc} */
  @Override
  public DataSplits load(DataContext context) {
    DataArrays.requireFloating(context.dataType());
    int d = features;
    SplittableRandom rng = new SplittableRandom(context.seed());
    float[][] means = new float[classes][d];
    for (float[] mean : means) {
      double norm;
      double[] g = new double[d];
      do {
        norm = 0;
        for (int j = 0; j < d; j++) {
          g[j] = rng.nextGaussian();
          norm += g[j] * g[j];
        }
        norm = Math.sqrt(norm);
      } while (norm == 0);
      for (int j = 0; j < d; j++) {
        mean[j] = (float) (g[j] / norm);
      }
    }
    int[] trainLabels = new int[trainSize];
    float[] trainValues = generate(rng, means, noise, trainLabels);
    int[] testLabels = new int[testSize];
    float[] testValues = generate(rng, means, noise, testLabels);

    int[][] split = DataArrays.holdOut(trainSize, validation, context.seed());
    long[] shape = exampleShape();
    Dataset train = dataset(trainValues, trainLabels, split[0], shape, context);
    Dataset val = null;
    Dataset test;
    try {
      if (validation > 0) {
        val = dataset(trainValues, trainLabels, split[1], shape, context);
      }
      test = dataset(testValues, testLabels, DataArrays.range(testSize), shape, context);
    } catch (RuntimeException | Error e) {
      train.features().close();
      if (val != null) {
        val.features().close();
      }
      throw e;
    }
    return new DataSplits(ID, train, val, test, List.of());
  }

  private static float[] generate(
      SplittableRandom rng, float[][] means, double noise, int[] labels) {
    int d = means[0].length;
    float[] values = new float[labels.length * d];
    for (int i = 0; i < labels.length; i++) {
      int c = rng.nextInt(means.length);
      labels[i] = c;
      for (int j = 0; j < d; j++) {
        values[i * d + j] = (float) (means[c][j] + noise * rng.nextGaussian());
      }
    }
    return values;
  }

  private Dataset dataset(
      float[] values, int[] labels, int[] rows, long[] shape, DataContext context) {
    INDArray x = DataArrays.fromFloats(values, features, rows, context.dataType());
    return new Dataset(x, DataArrays.gather(labels, rows), classes, shape.clone());
  }
}
