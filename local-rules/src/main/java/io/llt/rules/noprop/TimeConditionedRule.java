package io.llt.rules.noprop;

import io.llt.engine.config.InvalidValueException;
import io.llt.engine.config.Schedule;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.BlockInference;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.Readout;
import io.llt.engine.spi.ReadoutSpec;
import io.llt.engine.spi.RuleState;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.UniformDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What NoProp-FM and NoProp-CT share: the model is ONE block conditioned on the image (its
 * layers), the noisy label and the time; it hands the image on like every NoProp block; its state
 * trains in one call and infers both sampling chains in another; it has the {@code stochastic}
 * and {@code deterministic} readouts; it cannot be trained end to end as a chain. Also the time
 * input: draws of t and the sinusoidal embedding.
 */
abstract class TimeConditionedRule implements LocalRule {
  /** The state of a time-conditioned block. */
  interface State extends RuleState {
    /** One training step on a batch; writes every gradient; returns the batch's loss. */
    double trainStep(Block block, INDArray x, Labels labels);

    /** Inference of both chains; returns each chain's class scores by readout name. */
    Map<String, INDArray> infer(Block block, INDArray x);
  }

  /** Returns the variant's name for messages, for example {@code NoProp-FM}. */
  abstract String variant();

  /**
   * Builds the variant's head without allocating, throwing {@link IllegalArgumentException} that
   * names the rule's key when it does not fit.
   */
  abstract void checkHead(long imageWidth, int classes);

  @Override
  public StepResult step(Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    return new StepResult(input, ((State) state).trainStep(block, input, labels));
  }

  @Override
  public INDArray pass(Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    return input;
  }

  @Override
  public BlockInference infer(Block block, RuleState state, INDArray input, Signals signals) {
    return new BlockInference(input, ((State) state).infer(block, input));
  }

  @Override
  public boolean handsOnInput() {
    return true;
  }

  /** Two readouts: {@code stochastic} (from z_0 ~ N(0, I), headline) and {@code deterministic}. */
  @Override
  public List<ReadoutSpec> readouts() {
    return List.of(
        new ReadoutSpec(NoPropRule.STOCHASTIC, NoPropRule.STOCHASTIC, Readout.LAST),
        new ReadoutSpec(NoPropRule.DETERMINISTIC, NoPropRule.DETERMINISTIC, Readout.LAST));
  }

  @Override
  public String scheduleProblem(Schedule schedule) {
    return schedule == Schedule.BACKPROP
        ? "a " + variant() + " model conditions one block on the image, the noisy label and the"
            + " time, not one chain of layers; train the backprop baseline from its own config"
        : null;
  }

  @Override
  public List<String> layerProblems(List<Layer> layers, BlockContext context) {
    List<String> out = new ArrayList<>();
    if (context.blockCount() != 1) {
      out.add(
          "rule: a " + variant() + " model is one time-conditioned block, but the model has "
              + context.blockCount() + " blocks; give it exactly one");
    }
    if (context.numClasses() < 2) {
      return out;
    }
    try {
      checkHead(DenoiserHead.size(layers.get(layers.size() - 1).outputShape()), context.numClasses());
    } catch (IllegalArgumentException e) {
      out.add(e.getMessage());
    }
    return out;
  }

  /** Validates the width of the time embedding (default 64) and returns it. */
  static int timeEmbeddingWidth(Integer width) {
    int w = width == null ? 64 : width;
    if (w < 2 || w % 2 != 0) {
      throw new InvalidValueException(
          "timeEmbedding", "must be an even number >= 2 (sines and cosines), found " + w);
    }
    return w;
  }

  /** Draws one time per row from U[0, 1) with the block's random stream. */
  static double[] drawTimes(int rows, Random rng) {
    INDArray tt = Nd4j.createUninitialized(DataType.DOUBLE, rows);
    Nd4j.getExecutioner().exec(new UniformDistribution(tt, 0.0, 1.0), rng);
    double[] t = tt.toDoubleVector();
    for (int i = 0; i < t.length; i++) {
      t[i] = Math.min(t[i], Math.nextDown(1.0));
    }
    return t;
  }

  /** Returns the sinusoidal embedding of each row's t as {@code [rows, width]} in {@code dataType}. */
  static INDArray embedTimes(double[] t, int width, DataType dataType) {
    return Nd4j.create(sinusoid(t, width), new long[] {t.length, width}, 'c').castTo(dataType);
  }

  /**
   * Returns the sinusoidal embedding of times {@code t} ({@code [rows][width]} flattened, C
   * order): for i &lt; width/2, {@code sin(1000 t f_i)} and {@code cos(1000 t f_i)} with {@code f_i
   * = 10000^(-i / (width/2))}. The scale 1000 puts t in [0, 1] on the step scale of DDPM's
   * embedding; the paper's exact embedding is unverified (spec 2(d) gives its width, 64).
   */
  static double[] sinusoid(double[] t, int width) {
    int half = width / 2;
    double[] out = new double[t.length * width];
    for (int r = 0; r < t.length; r++) {
      for (int i = 0; i < half; i++) {
        double f = Math.exp(-Math.log(10000.0) * i / half);
        double a = 1000.0 * t[r] * f;
        out[r * width + i] = Math.sin(a);
        out[r * width + half + i] = Math.cos(a);
      }
    }
    return out;
  }
}
