package io.llt.rules.monoforward;

import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.engine.spi.Readout;
import io.llt.engine.spi.ReadoutSpec;
import io.llt.engine.spi.RuleState;
import io.llt.rules.common.SoftmaxHead;
import io.llt.rules.common.SoftmaxHeadRule;
import java.util.List;

/**
 * Mono-Forward (Gong, Li, Abdulla, arXiv 2501.09238): each block owns a bias-free projection M to
 * class scores {@code G = a M^T}, minimises softmax cross-entropy on G, and updates its layers and
 * M from that loss alone; its input is detached. Spec: specs/monoforward-noprop-softhebb.md 1(b).
 * Prediction reads the last block's scores ({@code last}, "BP-style") or the sum over blocks
 * ({@code sum}, "FF-style"); both are always reported.
 */
public final class MonoForwardRule extends SoftmaxHeadRule {
  /**
   * Config of Mono-Forward ({@code type: mono-forward}).
   *
   * @param prediction {@code last} (default) or {@code sum}: which readout is the headline
   * @param projectionInit {@code uniform-fan-in} (default, U(±1/sqrt(N)), as the Spyra
   *     re-implementation) or {@code normal} (N(0,1), as gorpeliates; saturates wide layers)
   */
  public record Config(Readout prediction, SoftmaxHead.Init projectionInit)
      implements LocalRuleConfig {
    /** Applies defaults. */
    public Config {
      prediction = prediction == null ? Readout.LAST : prediction;
      projectionInit = projectionInit == null ? SoftmaxHead.Init.UNIFORM_FAN_IN : projectionInit;
      if (projectionInit == SoftmaxHead.Init.ZERO) {
        throw new InvalidValueException(
            "projectionInit",
            "'zero' gives the block no gradient through M; use uniform-fan-in or normal");
      }
    }

    @Override
    public LocalRule build() {
      return new MonoForwardRule(this);
    }
  }

  /** Registers {@code type: mono-forward}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "mono-forward";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "Mono-Forward: per-block bias-free projection to classes, local softmax cross-entropy";
    }
  }

  private final Config config;

  private MonoForwardRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  @Override
  public RuleState createState(BlockContext context) {
    return new SoftmaxHead(
        context.outputSize(), context.numClasses(), false, config.projectionInit());
  }

  @Override
  public List<ReadoutSpec> readouts() {
    ReadoutSpec last = new ReadoutSpec("last", "scores", Readout.LAST);
    ReadoutSpec sum = new ReadoutSpec("sum", "scores", Readout.SUM);
    return config.prediction() == Readout.SUM ? List.of(sum, last) : List.of(last, sum);
  }
}
