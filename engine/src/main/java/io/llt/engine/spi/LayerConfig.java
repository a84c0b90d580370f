package io.llt.engine.spi;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * Immutable, validated config of one layer, bound from a {@code layers:} entry by its {@code type:}
 * id. Single-field checks run in the record's compact constructor; shape checks run in {@link
 * #build}, which throws {@link ShapeException} naming what is wrong.
 */
public interface LayerConfig extends TypedConfig {
  /**
   * Builds the layer for a given per-example input shape.
   *
   * @param inputShape per-example input shape
   * @param dataType the parameter and activation data type
   * @return a new, unbound layer
   * @throws ShapeException when the layer cannot take this input shape
   */
  Layer build(long[] inputShape, DataType dataType);
}
