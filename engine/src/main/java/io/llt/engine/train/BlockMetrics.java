package io.llt.engine.train;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One block's figures for one epoch.
 *
 * @param blockId the block id
 * @param loss the mean local loss over the epoch's batches (NaN when the block did not train)
 * @param learningRate the learning rate used this epoch (NaN when the block did not train)
 * @param seconds the wall time of the block's training steps this epoch (forward, local objective,
 *     backward, the copy of its output for the next block and the optimizer update; not frozen
 *     passes), 0 when it did not train; under the pipelined schedule the blocks' times overlap
 * @param paramLag for a block whose rule reads the next block's first layer (MAN), the largest
 *     version lag of those reads this epoch (0: the next block's parameters of the same batch,
 *     before its update, as the sequential reference reads them); null for every other block
 * @param terms the epoch mean of each named part of the loss ({@link
 *     io.llt.engine.spi.StepResult#terms}), sorted by name; empty for a loss of one term
 */
public record BlockMetrics(
    String blockId,
    double loss,
    double learningRate,
    double seconds,
    Long paramLag,
    Map<String, Double> terms) {

  /** Copies the terms (null means none). */
  public BlockMetrics {
    terms = terms == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(terms));
  }

  /** Creates the figures of a block whose loss has one term. */
  public BlockMetrics(
      String blockId, double loss, double learningRate, double seconds, Long paramLag) {
    this(blockId, loss, learningRate, seconds, paramLag, Map.of());
  }

  /** Creates the figures of a block that reads no other block's parameters. */
  public BlockMetrics(String blockId, double loss, double learningRate, double seconds) {
    this(blockId, loss, learningRate, seconds, null);
  }
}
