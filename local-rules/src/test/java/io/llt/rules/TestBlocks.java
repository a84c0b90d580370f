package io.llt.rules;

import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.RuleState;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/** Builds blocks by hand for rule tests. */
public final class TestBlocks {
  private TestBlocks() {}

  /**
   * Builds a block of {@code layers} on {@code inShape} trained by {@code rule}; every block of the
   * chain is assumed as wide as this one.
   */
  public static Block block(
      String id, int index, int count, long[] inShape, List<LayerConfig> layers, LocalRule rule,
      int classes, OptimizerConfig opt, DataType dt, long seed) {
    List<Layer> built = new ArrayList<>();
    long[] shape = inShape;
    long[] seeds = new long[layers.size()];
    for (int i = 0; i < layers.size(); i++) {
      Layer l = layers.get(i).build(shape, dt);
      built.add(l);
      seeds[i] = seed * 31 + i;
      shape = l.outputShape();
    }
    long[] sizes = new long[count];
    long size = 1;
    for (long d : shape) {
      size *= d;
    }
    java.util.Arrays.fill(sizes, size);
    RuleState st =
        rule.createState(new BlockContext(id, index, count, inShape, shape, classes, dt, sizes));
    return new Block(id, index, built, seeds, rule, st, seed * 17 + 5, opt, dt);
  }
}
