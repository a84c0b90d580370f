package io.llt.rules.auxiliary;

import io.llt.engine.config.Checks;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.rules.common.LayerStack;
import java.util.List;

/**
 * Supervised local learning with an auxiliary classifier per block ({@code type: aux-head}), the
 * baseline of AugLocal and MAN: DGL's decoupled greedy learning with a pooling + linear head
 * (InfoPro's "greedy SL", {@code 0c1f}) or InfoPro's convolutional heads trained with
 * cross-entropy (spec auglocal-man-pipeline.md sections 2 and 3), the form AugLocal's code
 * re-implements; with the {@code infopro} key, InfoPro itself: the reconstruction of the input
 * image by InfoPro's decoder next to the cross-entropy ({@link InfoProLoss}; the SupCon task loss
 * is not built). DGL's MLP-SR head needs adaptive average pooling to non-divisible sizes, which is
 * not built.
 */
public final class AuxHeadRule extends AuxRule {
  /**
   * Config of the auxiliary-head rule ({@code type: aux-head}).
   *
   * @param preset the head in front of the linear classifier: {@code linear} (default: global
   *     average pooling of an image output), {@code infopro-1c2f} or {@code infopro-2c2f}
   * @param head explicit layers in front of the linear classifier, instead of a preset
   * @param featureDim the hidden width of the InfoPro heads; default 128, > 0
   * @param infopro InfoPro's loss weights and decoder; null (default) for cross-entropy alone
   */
  public record Config(
      HeadPreset preset, List<LayerConfig> head, Integer featureDim, InfoProLoss infopro)
      implements LocalRuleConfig {
    /** A config with the cross-entropy loss alone. */
    public Config(HeadPreset preset, List<LayerConfig> head, Integer featureDim) {
      this(preset, head, featureDim, null);
    }

    /** Validates and applies defaults. */
    public Config {
      preset = HeadPreset.resolve(preset, head, HeadPreset.LINEAR);
      head = head == null ? null : List.copyOf(head);
      featureDim = featureDim == null ? 128 : featureDim;
      Checks.positive("featureDim", featureDim);
    }

    @Override
    public LocalRule build() {
      return new AuxHeadRule(this);
    }
  }

  /** Registers {@code type: aux-head}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "aux-head";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "DGL/InfoPro local learning: per-block auxiliary classifier, local cross-entropy";
    }
  }

  private final Config config;

  private AuxHeadRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  @Override
  public List<String> notes(BlockContext context) {
    String infopro = infoproNote(context);
    return infopro == null ? List.of() : List.of(infopro);
  }

  @Override
  InfoProLoss infopro() {
    return config.infopro();
  }

  @Override
  AuxState buildState(BlockContext context) {
    if (isLast(context)) {
      return outputLayer(context);
    }
    List<LayerConfig> layers =
        headLayers(
            config.preset(), config.head(), context.outputShape(), widest(context),
            config.featureDim());
    LayerStack body = LayerStack.build("head", layers, context.outputShape(), context.dataType());
    return state(context, null, body, context.outputShape());
  }
}
