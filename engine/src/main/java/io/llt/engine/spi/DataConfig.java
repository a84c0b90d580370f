package io.llt.engine.spi;

import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataSplits;

/**
 * Immutable, validated config of a data source, bound from the {@code data:} node by its {@code
 * type:} id (for example {@code fashion-mnist} or {@code synthetic}).
 */
public interface DataConfig extends TypedConfig {
  /**
   * Loads (or generates) the train, validation and test splits.
   *
   * @param context where to look for files and how to seed
   * @return the splits, features already normalised
   * @throws io.llt.engine.BadInputException when files are missing or malformed
   */
  DataSplits load(DataContext context);

  /** Returns the per-example shape the source yields, known without loading (for validation). */
  long[] exampleShape();

  /** Returns the number of classes, known without loading (for validation). */
  int numClasses();
}
