package io.llt.engine.data;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.DataConfig;
import java.nio.file.Path;

/**
 * CIFAR-10 (Krizhevsky, 2009): 32x32 colour images in 10 classes, read from the binary version's
 * six files, features {@code [n, 3072]} in the context's data type with example shape {@code [3,
 * 32, 32]} (channel-major: the 1024 red, then green, then blue pixels, each plane row-major, as in
 * the files).
 *
 * <p>The training split is {@code data_batch_1.bin} to {@code data_batch_5.bin} read in that order
 * (50000 examples), the test split {@code test_batch.bin} (10000). Each file is a sequence of
 * 3073-byte records, one label byte 0..9 then 3072 pixel bytes; a file whose size is not a whole
 * number of records, or a label above 9, is an error. The class names of {@code batches.meta.txt}
 * are not read. The files are found by {@link DatasetLocator#locateFiles}, each search place or its
 * {@code cifar-10-batches-bin} sub-directory (where the official archive extracts); it is never
 * downloaded: extract {@code https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz} yourself.
 * Type id {@code cifar10}.
 *
 * @param path the directory holding the six files, directly or in its {@code
 *     cifar-10-batches-bin} sub-directory, relative to the config file's directory; null (the
 *     default) searches {@code $LLT_DATA_DIR/cifar10}, {@code ~/.cache/llt/datasets/cifar10} and
 *     {@code /usr/share/datasets/cifar10}, each directly and in that sub-directory
 * @param validation the number of training examples held out as the validation split, chosen by a
 *     permutation seeded by the run seed and disjoint from the training split; {@code >= 0} and
 *     less than the number of training examples; default 0 (no validation split)
 * @param normalization how pixels 0..255 become features; default {@link Normalization#SCALE}
 *     (x/255, as SoftHebb). {@link Normalization#STANDARDIZE} uses one mean and one standard
 *     deviation over all pixels of all three channels of the training split, not per channel
 * @param trainLimit use only the first this many examples of the five training files in order
 *     (before the validation split), {@code > 0}; null (the default) uses all; a limit above their
 *     size uses all
 * @param testLimit use only the first this many examples of the test file, {@code > 0}; null (the
 *     default) uses all
 */
public record Cifar10Config(
    Path path,
    Integer validation,
    Normalization normalization,
    Integer trainLimit,
    Integer testLimit)
    implements DataConfig {
  /** The type id, also the dataset's directory name. */
  public static final String ID = Cifar10DataSource.NAME;

  /** Fills defaults for unset components and validates each one. */
  public Cifar10Config {
    validation = validation == null ? 0 : validation;
    normalization = normalization == null ? Normalization.SCALE : normalization;
    Checks.nonNegative("validation", validation);
    Checks.positive("trainLimit", trainLimit);
    Checks.positive("testLimit", testLimit);
  }

  /** Returns the config with every component at its default. */
  public static Cifar10Config defaults() {
    return new Cifar10Config(null, null, null, null, null);
  }

  /** Returns {@code [3, 32, 32]}. */
  @Override
  public long[] exampleShape() {
    return Cifar10DataSource.exampleShape();
  }

  /** Returns 10. */
  @Override
  public int numClasses() {
    return Cifar10DataSource.NUM_CLASSES;
  }

  /** {@inheritDoc} */
  @Override
  public DataSplits load(DataContext context) {
    return Cifar10DataSource.load(path, validation, normalization, trainLimit, testLimit, context);
  }
}
