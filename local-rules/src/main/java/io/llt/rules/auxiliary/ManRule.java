package io.llt.rules.auxiliary;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.ChainLayer;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.rules.common.LayerStack;
import java.util.List;
import java.util.Locale;

/**
 * MAN, the momentum auxiliary network (Su et al., ECCV 2024; spec auglocal-man-pipeline.md
 * section 5), on the auxiliary-head rule: block i's auxiliary network starts with {@code LB_i(h) +
 * E_i(h)}, two fresh copies of the architecture of the next block's first layer ({@link
 * ManBranch}), E_i an exponential moving average of that layer's parameters, read across the block
 * boundary through the engine's declared, versioned parameter read (the only such read; its lag is
 * logged as {@code paramLag}); the head (a preset or explicit layers) and the linear classifier
 * follow at the next layer's width. Without the {@code infopro} key this is the paper's DGL+MAN
 * setting with cross-entropy heads; with it, the released code's InfoPro+MAN: InfoPro's decoder
 * reconstructs the input image from {@code LB + E} next to the head's cross-entropy ({@link
 * InfoProLoss}; the weights follow InfoPro's block index, not the code's stage index).
 */
public final class ManRule extends AuxRule {
  /** Which MAN update is used. */
  public enum Form {
    /** The released code: E is not trained, the EMA follows the local backward (default). */
    CODE,
    /** The paper: E takes the local gradient step, then the EMA pull. */
    PAPER
  }

  /**
   * Config of MAN ({@code type: man}).
   *
   * @param momentum the EMA momentum m; required (the code's flag default 1.0 freezes E at its
   *     random start, the README uses 0.995), in [0, 1]
   * @param form {@code code} (default) or {@code paper}
   * @param preset the head after the branch: {@code infopro-2c2f} (default, MAN's), {@code
   *     infopro-1c2f} or {@code linear}
   * @param head explicit layers after the branch, instead of a preset
   * @param featureDim the hidden width of the InfoPro heads; default 128, > 0
   * @param infopro InfoPro's loss weights and decoder; null (default) for cross-entropy alone
   */
  public record Config(
      Double momentum,
      Form form,
      HeadPreset preset,
      List<LayerConfig> head,
      Integer featureDim,
      InfoProLoss infopro)
      implements LocalRuleConfig {
    /** A config with the cross-entropy loss alone. */
    public Config(
        Double momentum, Form form, HeadPreset preset, List<LayerConfig> head, Integer featureDim) {
      this(momentum, form, preset, head, featureDim, null);
    }

    /** Validates and applies defaults. */
    public Config {
      Checks.required("momentum", momentum, "the EMA momentum, for example 0.995 (MAN's README)");
      if (!(momentum >= 0 && momentum <= 1)) {
        throw new InvalidValueException("momentum", "must be in [0, 1], found " + momentum);
      }
      form = form == null ? Form.CODE : form;
      preset = HeadPreset.resolve(preset, head, HeadPreset.INFOPRO_2C2F);
      head = head == null ? null : List.copyOf(head);
      featureDim = featureDim == null ? 128 : featureDim;
      Checks.positive("featureDim", featureDim);
    }

    @Override
    public LocalRule build() {
      return new ManRule(this);
    }
  }

  /** Registers {@code type: man}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "man";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "MAN: auxiliary head on LB + EMA copies of the next block's first layer";
    }
  }

  private final Config config;

  private ManRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  @Override
  InfoProLoss infopro() {
    return config.infopro();
  }

  @Override
  public boolean readsSuccessorFirstLayer() {
    return true;
  }

  @Override
  AuxState buildState(BlockContext context) {
    if (isLast(context)) {
      return outputLayer(context);
    }
    List<ChainLayer> next = context.layersOf(context.index() + 1);
    long[] shape = context.outputShape();
    ManBranch branch = null;
    if (!next.isEmpty()) {
      LayerConfig first = next.get(0).config();
      Layer lb = first.build(shape, context.dataType());
      Layer ema = first.build(shape, context.dataType());
      if (lb.numParams() == 0) {
        throw new IllegalArgumentException(
            "man copies the first layer of the next block, which has no parameters; start the"
                + " next block with a residual or conv2d layer");
      }
      branch = new ManBranch(lb, ema, config.form() == Form.PAPER, config.momentum());
      shape = branch.outputShape();
    }
    List<LayerConfig> layers =
        headLayers(config.preset(), config.head(), shape, widest(context), config.featureDim());
    LayerStack body = LayerStack.build("head", layers, shape, context.dataType());
    return state(context, branch, body, shape);
  }

  @Override
  public List<String> notes(BlockContext context) {
    if (isLast(context)) {
      return List.of("final module, trained by the output cross-entropy");
    }
    String ema =
        "EMA of the next block's first layer, momentum " + config.momentum() + ", "
            + config.form().name().toLowerCase(Locale.ROOT) + " form";
    String infopro = infoproNote(context);
    return infopro == null ? List.of(ema) : List.of(ema, infopro);
  }
}
