package io.llt.rules.classifier;

import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.engine.spi.Readout;
import io.llt.engine.spi.ReadoutSpec;
import io.llt.engine.spi.RuleState;
import io.llt.engine.config.InvalidValueException;
import io.llt.rules.common.SoftmaxHead;
import io.llt.rules.common.SoftmaxHeadRule;
import java.util.List;

/**
 * A linear classifier with bias on the block's output, {@code G = a P + c}, trained with softmax
 * cross-entropy; the gradient also reaches the block's own layers (none have parameters in
 * SoftHebb's readout block {@code [flatten, dropout]}, which makes it Flatten, Dropout, Linear as
 * the reference). The block's input is detached like every block's. The network's prediction is
 * this block's scores.
 */
public final class ClassifierRule extends SoftmaxHeadRule {
  /**
   * Config of the classifier ({@code type: classifier}).
   *
   * @param init {@code uniform-fan-in} (default: PyTorch's nn.Linear, U(±1/sqrt(N)) for P and c)
   *     or {@code zero}
   */
  public record Config(SoftmaxHead.Init init) implements LocalRuleConfig {
    /** Applies defaults. */
    public Config {
      init = init == null ? SoftmaxHead.Init.UNIFORM_FAN_IN : init;
      if (init == SoftmaxHead.Init.NORMAL) {
        throw new InvalidValueException(
            "init", "'normal' (N(0,1)) saturates a wide classifier; use uniform-fan-in or zero");
      }
    }

    @Override
    public LocalRule build() {
      return new ClassifierRule(this);
    }
  }

  /** Registers {@code type: classifier}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "classifier";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "linear softmax classifier (with bias) on the block output, cross-entropy";
    }
  }

  private final Config config;

  private ClassifierRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  @Override
  public RuleState createState(BlockContext context) {
    return new SoftmaxHead(context.outputSize(), context.numClasses(), true, config.init());
  }

  /** One readout, {@code linear}: the last block's classifier scores. */
  @Override
  public List<ReadoutSpec> readouts() {
    return List.of(new ReadoutSpec("linear", "scores", Readout.LAST));
  }
}
