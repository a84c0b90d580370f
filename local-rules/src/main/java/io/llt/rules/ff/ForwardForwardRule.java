package io.llt.rules.ff;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import java.util.List;

/**
 * Forward-Forward (Hinton 2022, arXiv 2212.13345; spec 1): per-block goodness of positive versus
 * negative rows, a logistic loss around the threshold theta, inputs length-normalised by the
 * block's own {@code normalize} layer, and goodness-over-labels and neutral-label softmax
 * readouts. See {@link FfRule} for the equations.
 */
public final class ForwardForwardRule extends FfRule {
  /**
   * Config of Forward-Forward ({@code type: forward-forward}).
   *
   * @param goodness {@code sum} (default, Hinton and loeweX) or {@code mean}
   * @param minimize the min-ssq variant: positives get low goodness (default false)
   * @param theta the threshold; default 1.0 per unit: D for sum goodness, 1 for mean (the
   *     official code's convention with RMS normalisation, spec 1(b) table)
   * @param negatives {@code label} (default), {@code hard} or {@code hybrid}
   * @param blurPasses blur passes of hybrid masks; default 6 (one reproduction's value; the paper
   *     says "repeatedly", spec [S])
   * @param labelValue the value of the true label's input position; default 1.0 (neutral rows get
   *     labelValue / C in every label position)
   * @param readouts {@code goodness} and/or {@code softmax}, headline first; default [goodness]
   *     ([softmax] with hybrid negatives)
   * @param readoutFrom first block (from 0) whose goodness and activities the readouts use;
   *     default 1 (the paper skips the first layer), capped at the last block
   * @param peerNormalization weight of peer normalisation; default 0 (off; loeweX uses 0.03)
   * @param peerMomentum momentum of its running mean; default 0.9
   */
  public record Config(
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
      goodness = goodness == null ? FfGoodness.SUM : goodness;
      minimize = minimize != null && minimize;
      negatives = negatives == null ? FfNegatives.LABEL : negatives;
      blurPasses = blurPasses == null ? 6 : blurPasses;
      labelValue = labelValue == null ? 1.0 : labelValue;
      readouts = resolveReadouts(readouts, negatives);
      readoutFrom = readoutFrom == null ? 1 : readoutFrom;
      peerNormalization = peerNormalization == null ? 0.0 : peerNormalization;
      peerMomentum = peerMomentum == null ? 0.9 : peerMomentum;
      checkCommon(theta, blurPasses, labelValue, readoutFrom, peerNormalization, peerMomentum);
    }

    @Override
    public LocalRule build() {
      return new ForwardForwardRule(this);
    }
  }

  private static List<FfReadout> resolveReadouts(List<FfReadout> readouts, FfNegatives negatives) {
    if (readouts == null) {
      return negatives == FfNegatives.HYBRID ? List.of(FfReadout.SOFTMAX) : List.of(FfReadout.GOODNESS);
    }
    Checks.nonEmpty("readouts", readouts);
    if (readouts.stream().distinct().count() != readouts.size()) {
      throw new InvalidValueException("readouts", "lists a readout twice: " + readouts);
    }
    if (negatives == FfNegatives.HYBRID && readouts.contains(FfReadout.GOODNESS)) {
      throw new InvalidValueException(
          "readouts",
          "'goodness' needs labels in the input, but hybrid negatives train without them; use"
              + " [softmax]");
    }
    return List.copyOf(readouts);
  }

  private static void checkCommon(
      Double theta,
      int blurPasses,
      double labelValue,
      int readoutFrom,
      double peer,
      double peerMomentum) {
    if (theta != null && !Double.isFinite(theta)) {
      throw new InvalidValueException("theta", "must be a finite number, found " + theta);
    }
    Checks.nonNegative("blurPasses", blurPasses);
    Checks.positive("labelValue", labelValue);
    Checks.nonNegative("readoutFrom", readoutFrom);
    Checks.nonNegative("peerNormalization", peer);
    Checks.inHalfOpenRange("peerMomentum", peerMomentum, 0, 1);
  }

  /** Registers {@code type: forward-forward}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "forward-forward";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "Forward-Forward: per-block goodness of positive vs negative data, logistic loss";
    }
  }

  private final Config config;

  private ForwardForwardRule(Config c) {
    super(
        new FfSettings(
            c.goodness(), c.minimize(), c.theta(), c.negatives(), c.blurPasses(), c.labelValue(),
            c.readouts(), c.readoutFrom(), c.peerNormalization(), c.peerMomentum(),
            Collaboration.NONE, 0));
    this.config = c;
  }

  @Override
  public Config config() {
    return config;
  }
}
