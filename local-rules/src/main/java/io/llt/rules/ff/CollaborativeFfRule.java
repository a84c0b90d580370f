package io.llt.rules.ff;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import java.util.List;

/**
 * Collaborative Forward-Forward (Lorberbom, Gat, Adi, Schwing, Hazan, AAAI 2024, arXiv
 * 2305.12393; spec 2): Forward-Forward whose logit for block i adds the detached signed goodness
 * of the other blocks, {@code a_i = G_i + gamma_i - theta}, with gamma over all other blocks (the
 * paper's gamma; every batch first runs a no-update pass through the whole chain so that later
 * blocks' goodness is current) or over the preceding blocks only (gamma_{<t}). Gamma is
 * recomputed on every batch from the current weights, separately for positive and negative rows,
 * and carries no gradient. Inference sums goodness over all blocks by default.
 */
public final class CollaborativeFfRule extends FfRule {
  /**
   * Config of Collaborative Forward-Forward ({@code type: collaborative-ff}); the settings shared
   * with Forward-Forward mean the same (see {@link ForwardForwardRule.Config}).
   *
   * @param collaboration {@code all-others} (default, the paper's gamma) or {@code preceding}
   * @param gammaScale factor on gamma; default 1 (the paper's raw sum; a third-party variant's 0.1
   *     is a deviation, spec 2(b))
   * @param readoutFrom default 0: CFF predicts from all blocks (skipping the first hurts, spec 2)
   */
  public record Config(
      Collaboration collaboration,
      Double gammaScale,
      FfGoodness goodness,
      Boolean minimize,
      Double theta,
      FfNegatives negatives,
      Integer blurPasses,
      Double labelValue,
      List<FfReadout> readouts,
      Integer readoutFrom,
      Double peerNormalization,
      Double peerMomentum)
      implements LocalRuleConfig {
    /** Applies defaults and validates. */
    public Config {
      collaboration = collaboration == null ? Collaboration.ALL_OTHERS : collaboration;
      if (collaboration == Collaboration.NONE) {
        throw new InvalidValueException(
            "collaboration", "'none' is plain Forward-Forward; use type: forward-forward");
      }
      gammaScale = gammaScale == null ? 1.0 : gammaScale;
      Checks.positive("gammaScale", gammaScale);
      // the settings shared with Forward-Forward: its defaults and checks, one place
      ForwardForwardRule.Config ff =
          new ForwardForwardRule.Config(
              goodness, minimize, theta, negatives, blurPasses, labelValue, readouts,
              readoutFrom == null ? 0 : readoutFrom, peerNormalization, peerMomentum);
      goodness = ff.goodness();
      minimize = ff.minimize();
      negatives = ff.negatives();
      blurPasses = ff.blurPasses();
      labelValue = ff.labelValue();
      readouts = ff.readouts();
      readoutFrom = ff.readoutFrom();
      peerNormalization = ff.peerNormalization();
      peerMomentum = ff.peerMomentum();
    }

    @Override
    public LocalRule build() {
      return new CollaborativeFfRule(this);
    }
  }

  /** Registers {@code type: collaborative-ff}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "collaborative-ff";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "Collaborative Forward-Forward: FF with the other layers' detached goodness in the logit";
    }
  }

  private final Config config;

  private CollaborativeFfRule(Config c) {
    super(
        new FfSettings(
            c.goodness(), c.minimize(), c.theta(), c.negatives(), c.blurPasses(), c.labelValue(),
            c.readouts(), c.readoutFrom(), c.peerNormalization(), c.peerMomentum(),
            c.collaboration(), c.gammaScale()));
    this.config = c;
  }

  @Override
  public Config config() {
    return config;
  }
}
