package io.llt.engine.data;

import io.llt.engine.spi.DataConfig;
import java.nio.file.Path;

/**
 * MNIST (LeCun, Cortes and Burges): 28x28 grey images in 10 classes, read from the four IDX files
 * (raw or gzip), features {@code [n, 784]} in the context's data type with example shape {@code [1,
 * 28, 28]}.
 *
 * <p>The files are found by {@link DatasetLocator}. It is never downloaded (no verified hashes are
 * recorded): place the files yourself. Type id {@code mnist}.
 *
 * @param path the directory holding the four IDX files, relative to the config file's directory;
 *     null (the default) searches {@code $LLT_DATA_DIR/mnist}, {@code ~/.cache/llt/datasets/mnist}
 *     and {@code /usr/share/datasets/mnist}
 * @param validation the number of training examples held out as the validation split, chosen by a
 *     permutation seeded by the run seed and disjoint from the training split; {@code >= 0} and
 *     less than the number of training examples; default 0 (no validation split)
 * @param normalization how pixels 0..255 become features; default {@link Normalization#SCALE}
 * @param trainLimit use only the first this many examples of the training file (before the
 *     validation split), {@code > 0}; null (the default) uses all; a limit above the file's size
 *     uses all
 * @param testLimit use only the first this many examples of the test file, {@code > 0}; null (the
 *     default) uses all
 */
public record MnistConfig(
    Path path,
    Integer validation,
    Normalization normalization,
    Integer trainLimit,
    Integer testLimit)
    implements DataConfig {
  /** The type id, also the dataset's directory name. */
  public static final String ID = "mnist";

  /** Fills defaults for unset components and validates each one. */
  public MnistConfig {
    validation = validation == null ? 0 : validation;
    normalization = normalization == null ? Normalization.SCALE : normalization;
    IdxDataSource.check(validation, trainLimit, testLimit);
  }

  /** Returns the config with every component at its default. */
  public static MnistConfig defaults() {
    return new MnistConfig(null, null, null, null, null);
  }

  /** Returns {@code [1, 28, 28]}. */
  @Override
  public long[] exampleShape() {
    return IdxDataSource.exampleShape();
  }

  /** Returns 10. */
  @Override
  public int numClasses() {
    return IdxDataSource.NUM_CLASSES;
  }

  /** {@inheritDoc} */
  @Override
  public DataSplits load(DataContext context) {
    return IdxDataSource.load(ID, path, validation, normalization, trainLimit, testLimit, context);
  }
}
