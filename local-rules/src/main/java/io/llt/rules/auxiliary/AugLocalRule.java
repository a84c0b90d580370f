package io.llt.rules.auxiliary;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.ChainLayer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.layers.conv.Conv2dLayer;
import io.llt.layers.norm.BatchNormLayer;
import io.llt.layers.pool.GlobalAvgPoolLayer;
import io.llt.layers.residual.ResidualLayer;
import io.llt.rules.common.LayerStack;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * AugLocal (Ma, Wu, Si, Tan, ICLR 2024; spec auglocal-man-pipeline.md section 4): each block's
 * auxiliary network is built from freshly initialised basic residual blocks with the widths of
 * uniformly selected later layers of the primary network, down-sampling where the width doubles,
 * then global average pooling, batch norm when the network is one layer deep, and the linear
 * classifier; its depth shrinks linearly toward the output (the pyramidal depth). The layers copy
 * architecture only, never weights, so every block stays update-unlocked.
 *
 * <p>The primary network's layers are the chain's {@code conv2d} and {@code residual} layers (the
 * stem convolution is layer 0). Block i's auxiliary network belongs to its last such layer j; the
 * depth schedule runs over the blocks, K' = the number of blocks (the reference's {@code
 * --local_module_num} minus d), so that in the layer-wise reference layout (one layer per block,
 * the last d+1 layers together in the last block) j and i coincide and the plan equals the
 * reference's.
 */
public final class AugLocalRule extends AuxRule {
  /**
   * Config of AugLocal ({@code type: auglocal}).
   *
   * @param depth the base auxiliary depth d; default 2, > 0
   * @param pyramid whether the depth decays linearly toward the output; default true
   * @param pyramidCoeff the decay coefficient tau; default 0.5, in [0, 1]
   * @param widen the width factor of the auxiliary layers; default 1.0, > 0
   */
  public record Config(Integer depth, Boolean pyramid, Double pyramidCoeff, Double widen)
      implements LocalRuleConfig {
    /** Validates and applies defaults. */
    public Config {
      depth = depth == null ? 2 : depth;
      Checks.positive("depth", depth);
      pyramid = pyramid == null || pyramid;
      pyramidCoeff = pyramidCoeff == null ? 0.5 : pyramidCoeff;
      if (!(pyramidCoeff >= 0 && pyramidCoeff <= 1)) {
        throw new io.llt.engine.config.InvalidValueException(
            "pyramidCoeff", "must be in [0, 1], found " + pyramidCoeff);
      }
      widen = widen == null ? 1.0 : widen;
      Checks.positive("widen", widen);
    }

    @Override
    public LocalRule build() {
      return new AugLocalRule(this);
    }
  }

  /** Registers {@code type: auglocal}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "auglocal";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "AugLocal: auxiliary nets of fresh copies of uniformly selected later layers";
    }
  }

  private final Config config;

  private AugLocalRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  /**
   * The block's auxiliary plan.
   *
   * @param layer j, the block's primary layer
   * @param depth d_j
   * @param aux the auxiliary layers
   */
  record Plan(int layer, int depth, List<AugLocalPlan.AuxLayer> aux) {}

  /** Returns the primary network's layers: the chain's convolution and residual layers. */
  static List<ChainLayer> primaryLayers(BlockContext context) {
    List<ChainLayer> out = new ArrayList<>();
    for (ChainLayer l : context.chain()) {
      if (l.config() instanceof ResidualLayer.Config || l.config() instanceof Conv2dLayer.Config) {
        out.add(l);
      }
    }
    return out;
  }

  /** Returns the plan of a block that is not the last, or null when the chain is not known. */
  Plan plan(BlockContext context) {
    List<ChainLayer> units = primaryLayers(context);
    if (units.isEmpty()) {
      return null;
    }
    int j = -1;
    for (int u = 0; u < units.size(); u++) {
      if (units.get(u).block() <= context.index()) {
        j = u;
      }
    }
    if (j < 0 || units.get(j).block() != context.index()) {
      throw new IllegalArgumentException(
          "auglocal builds each block's auxiliary network from the layers after the block's own"
              + " conv2d or residual layer, and block '" + context.blockId() + "' has none; put"
              + " one in it or give the block another rule");
    }
    int[] widths = new int[units.size()];
    for (int u = 0; u < widths.length; u++) {
      widths[u] = (int) units.get(u).outputShape()[0];
    }
    int dj =
        AugLocalPlan.depths(
            config.depth(), config.pyramid(), config.pyramidCoeff(), context.blockCount())[
            context.index()];
    int[] selected = AugLocalPlan.selection(j, dj, units.size());
    return new Plan(j, dj, AugLocalPlan.layers(widths[j], selected, widths, config.widen()));
  }

  @Override
  AuxState buildState(BlockContext context) {
    if (isLast(context)) {
      return outputLayer(context);
    }
    if (context.outputShape().length != 3) {
      throw new IllegalArgumentException(
          "auglocal needs an image block output [channels, height, width] but block '"
              + context.blockId() + "' gives " + Arrays.toString(context.outputShape())
              + "; end the block with a conv2d or residual layer");
    }
    Plan plan = plan(context);
    List<LayerConfig> layers = new ArrayList<>();
    if (plan != null) {
      for (AugLocalPlan.AuxLayer a : plan.aux()) {
        layers.add(new ResidualLayer.Config(a.width(), a.stride(), null));
      }
    }
    layers.add(new GlobalAvgPoolLayer.Config());
    if (plan != null && plan.depth() <= 1) {
      layers.add(new BatchNormLayer.Config(true, null, null));
    }
    LayerStack body =
        LayerStack.build("auxiliary network", layers, context.outputShape(), context.dataType());
    return new AuxState(null, body, context.numClasses(), context.dataType());
  }

  @Override
  public List<String> notes(BlockContext context) {
    if (isLast(context)) {
      return List.of("final module, trained by the output cross-entropy");
    }
    Plan plan = plan(context);
    if (plan == null) {
      return List.of();
    }
    StringBuilder sb = new StringBuilder();
    for (AugLocalPlan.AuxLayer a : plan.aux()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append("layer ").append(a.layer()).append(" (").append(a.width()).append(" channels, stride ")
          .append(a.stride()).append(')');
    }
    return List.of(
        "layer " + plan.layer() + ": auxiliary depth " + plan.depth() + ", copies "
            + (sb.length() == 0 ? "no layer" : sb));
  }

  @Override
  public List<String> warnings(BlockContext context, List<LayerConfig> layers) {
    if (!isLast(context)) {
      return List.of();
    }
    long own = primaryLayers(context).stream().filter(l -> l.block() == context.index()).count();
    if (own != config.depth() + 1 && !context.chain().isEmpty()) {
      return List.of(
          "the AugLocal reference trains the last d+1 = " + (config.depth() + 1) + " layers"
              + " together as the final module, but this last block has " + own + "; move"
              + " layers so that it has " + (config.depth() + 1) + " to match it");
    }
    return List.of();
  }
}
