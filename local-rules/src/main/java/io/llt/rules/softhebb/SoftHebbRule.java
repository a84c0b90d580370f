package io.llt.rules.softhebb;

import io.llt.engine.config.Checks;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.HebbianLayer;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.engine.spi.ReadoutSpec;
import io.llt.engine.spi.RuleState;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SoftHebb (Journé, Rodriguez, Guo, Moraitis, ICLR 2023): soft winner-take-all Hebbian plasticity
 * without labels, targets or gradients. Spec: specs/monoforward-noprop-softhebb.md section 3(b).
 *
 * <p>Each training step runs the block forward (batch norm in training mode) and then, for every
 * {@link HebbianLayer} of the block (a bias-free {@code conv2d} or {@code dense}), with responses
 * {@code u[k, r]} (neuron k, response r = example and position) of the forward:
 *
 * <pre>
 *   s[., r]  = softmax_k(beta * u[., r])
 *   y[k, r]  = +s[k, r] for the winner k* = argmax_k u[k, r], -s[k, r] for the others
 *              (antiHebbian: true, the repo's "softkrotov"; +s for all when false, "soft")
 *   dW[k]    = sum_r y[k, r] patch_r  -  (sum_r y[k, r] u[k, r]) * W[k]
 *   dW      /= max |dW| + 1e-30           (one global max over the layer)
 *   eta_k    = eta0 * (| ||W[k]|| - 1 | + 1e-10)^q     (adaptiveLr: true; eta0 otherwise)
 *   W[k]    += eta_k * dW[k]
 * </pre>
 *
 * <p>The update is added directly (the rule is {@linkplain #selfUpdating self-updating}: no
 * optimizer, no gradient anywhere in the block), after the forward whose output goes to the next
 * block, so that output is computed with the weights before the update, as in the reference demo.
 * The block's reported loss is the convergence metric of the reference, {@code mean_k | ||W[k]|| -
 * 1 |} after the update; it falls toward 0 as the weights approach unit norm. The block contributes
 * no class scores; a {@code classifier} block on top reads its frozen features.
 */
public final class SoftHebbRule implements LocalRule {
  /**
   * Config of SoftHebb ({@code type: softhebb}); the defaults are the first layer of the
   * reference's CIFAR-10 preset.
   *
   * @param beta the inverse temperature of the soft WTA ({@code t_invert}); default 1; > 0
   * @param learningRate the base learning rate eta0; default 0.08; >= 0; 0 leaves the weights at
   *     their random initialisation while batch norm still learns its running statistics in the
   *     Hebbian epoch: the random-feature control of the reference's ablations
   * @param lrPower the exponent q of the norm-dependent rate ({@code power_lr}); default 0.5; > 0
   * @param antiHebbian the losers' sign flip ({@code softkrotov}); default true
   * @param adaptiveLr the norm-dependent rate; default true (the demo's; pitfall 8 of the spec)
   */
  public record Config(
      Double beta, Double learningRate, Double lrPower, Boolean antiHebbian, Boolean adaptiveLr)
      implements LocalRuleConfig {
    /** Validates and applies defaults. */
    public Config {
      beta = beta == null ? 1.0 : beta;
      Checks.positive("beta", beta);
      learningRate = learningRate == null ? 0.08 : learningRate;
      Checks.nonNegative("learningRate", learningRate);
      lrPower = lrPower == null ? 0.5 : lrPower;
      Checks.positive("lrPower", lrPower);
      antiHebbian = antiHebbian == null || antiHebbian;
      adaptiveLr = adaptiveLr == null || adaptiveLr;
    }

    @Override
    public LocalRule build() {
      return new SoftHebbRule(this);
    }
  }

  /** Registers {@code type: softhebb}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "softhebb";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "SoftHebb: soft winner-take-all Hebbian plasticity, no labels and no gradients";
    }
  }


  private final Config config;

  private SoftHebbRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  @Override
  public RuleState createState(BlockContext context) {
    return RuleState.none();
  }

  @Override
  public boolean selfUpdating() {
    return true;
  }

  @Override
  public boolean hasScores() {
    return false;
  }

  @Override
  public boolean cacheableWhenFrozen() {
    return true;
  }

  @Override
  public List<ReadoutSpec> readouts() {
    return List.of();
  }

  @Override
  public StepResult step(
      Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    List<String> problems = layerProblems(block.layers(), null);
    if (!problems.isEmpty()) {
      // validation reports these for configs; this guards graphs built without it
      throw new IllegalStateException("block '" + block.id() + "': " + problems.get(0));
    }
    INDArray x = input;
    List<HebbianLayer> hebbian = new ArrayList<>();
    for (Layer l : block.layers()) {
      x = l.forward(x, true, block.rng());
      if (l instanceof HebbianLayer h) {
        hebbian.add(h);
      }
    }
    double convergence = 0;
    for (HebbianLayer h : hebbian) {
      convergence += config.learningRate() > 0 ? update(h, config) : convergence(h.neuronWeights());
    }
    return new StepResult(x, convergence / hebbian.size());
  }

  /**
   * Applies one SoftHebb update to a layer from its last training forward.
   *
   * @return the convergence after the update, {@code mean_k | ||W[k]|| - 1 |}
   */
  static double update(HebbianLayer layer, Config config) {
    INDArray w = layer.neuronWeights();
    DataType dt = w.dataType();
    int k = (int) layer.neurons();
    INDArray u = layer.lastResponses();
    int responses = (int) u.size(1);
    INDArray uc = u.ordering() == 'c' && u.elementWiseStride() == 1 ? u : u.dup('c');
    double[] yu = new double[k];
    INDArray y;
    if (dt == DataType.FLOAT) {
      float[] uv = uc.data().getFloatsAt(uc.offset(), k * responses);
      float[] yv = new float[uv.length];
      winnerTakeAll(uv, yv, yu, k, responses, config.beta(), config.antiHebbian());
      y = Nd4j.create(yv, new long[] {k, responses}, 'c');
    } else {
      double[] uv = uc.data().getDoublesAt(uc.offset(), k * responses);
      double[] yv = new double[uv.length];
      winnerTakeAll(uv, yv, yu, k, responses, config.beta(), config.antiHebbian());
      y = Nd4j.create(yv, new long[] {k, responses}, 'c');
    }
    INDArray delta = layer.patchProduct(y);
    INDArray yuCol = Nd4j.create(yu, new long[] {k, 1}, 'c').castTo(dt);
    delta.subi(w.mulColumnVector(yuCol));
    double max = delta.amaxNumber().doubleValue();
    delta.divi(max + 1e-30);
    double[] norms = w.norm2(1).toDoubleVector();
    double[] eta = new double[k];
    for (int i = 0; i < k; i++) {
      eta[i] =
          config.adaptiveLr()
              ? config.learningRate() * Math.pow(Math.abs(norms[i] - 1) + 1e-10, config.lrPower())
              : config.learningRate();
    }
    w.addi(delta.muliColumnVector(Nd4j.create(eta, new long[] {k, 1}, 'c').castTo(dt)));
    return convergence(w);
  }

  /** Returns {@code mean_k | ||W[k]|| - 1 |} for weights {@code [K, fanIn]}. */
  static double convergence(INDArray w) {
    double[] norms = w.norm2(1).toDoubleVector();
    double c = 0;
    for (double r : norms) {
      c += Math.abs(r - 1);
    }
    return c / norms.length;
  }

  /**
   * The soft winner-take-all: for responses {@code u [k, r]} (row-major), writes {@code y} (+s for
   * the winner of each column, -s for the others when {@code anti}) and {@code yu[k] = sum_r y u}.
   * Three passes along the rows (column maxima and winners, exponentials and column sums,
   * normalisation, sign and the decay coefficients), so that memory is read in order. Ties go to
   * the first neuron, as {@code torch.argmax}.
   */
  static void winnerTakeAll(
      double[] u, double[] y, double[] yu, int k, int responses, double beta, boolean anti) {
    double[] max = new double[responses];
    int[] win = new int[responses];
    System.arraycopy(u, 0, max, 0, responses);
    for (int i = 1; i < k; i++) {
      int row = i * responses;
      for (int r = 0; r < responses; r++) {
        if (u[row + r] > max[r]) {
          max[r] = u[row + r];
          win[r] = i;
        }
      }
    }
    double[] sum = new double[responses];
    for (int i = 0; i < k; i++) {
      int row = i * responses;
      for (int r = 0; r < responses; r++) {
        double e = Math.exp(beta * (u[row + r] - max[r]));
        y[row + r] = e;
        sum[r] += e;
      }
    }
    for (int i = 0; i < k; i++) {
      int row = i * responses;
      double acc = 0;
      for (int r = 0; r < responses; r++) {
        double s = y[row + r] / sum[r];
        double v = anti && win[r] != i ? -s : s;
        y[row + r] = v;
        acc += v * u[row + r];
      }
      yu[i] = acc;
    }
  }

  /** {@link #winnerTakeAll(double[], double[], double[], int, int, double, boolean)} on floats. */
  static void winnerTakeAll(
      float[] u, float[] y, double[] yu, int k, int responses, double beta, boolean anti) {
    float[] max = new float[responses];
    int[] win = new int[responses];
    System.arraycopy(u, 0, max, 0, responses);
    for (int i = 1; i < k; i++) {
      int row = i * responses;
      for (int r = 0; r < responses; r++) {
        if (u[row + r] > max[r]) {
          max[r] = u[row + r];
          win[r] = i;
        }
      }
    }
    double[] sum = new double[responses];
    for (int i = 0; i < k; i++) {
      int row = i * responses;
      for (int r = 0; r < responses; r++) {
        double e = Math.exp(beta * ((double) u[row + r] - max[r]));
        y[row + r] = (float) e;
        sum[r] += e;
      }
    }
    for (int i = 0; i < k; i++) {
      int row = i * responses;
      double acc = 0;
      for (int r = 0; r < responses; r++) {
        double s = y[row + r] / sum[r];
        double v = anti && win[r] != i ? -s : s;
        y[row + r] = (float) v;
        acc += v * u[row + r];
      }
      yu[i] = acc;
    }
  }

  /** Refuses blocks without a {@code conv2d} or {@code dense} layer, or whose such layers have a bias. */
  @Override
  public List<String> layerProblems(List<Layer> layers, BlockContext context) {
    List<String> out = new ArrayList<>();
    boolean any = false;
    for (Layer l : layers) {
      if (l instanceof HebbianLayer h) {
        any = true;
        if (h.hasBias()) {
          out.add("softhebb layers have no bias; set bias: false on its conv2d/dense layers");
        }
      }
    }
    if (!any) {
      out.add("softhebb needs a conv2d or dense layer to learn; add one or use another rule");
    }
    return out;
  }

  /** Warns about layers with parameters that SoftHebb does not train (they keep their init). */
  @Override
  public List<String> warnings(BlockContext context, List<LayerConfig> layers) {
    List<String> out = new ArrayList<>();
    long[] shape = context.inputShape();
    for (LayerConfig lc : layers) {
      Layer l = lc.build(shape, DataType.FLOAT);
      if (!(l instanceof HebbianLayer) && l.numParams() > 0) {
        out.add(
            "a layer with parameters that softhebb does not train (" + lc.getClass().getSimpleName()
                + "): it stays at its initial values");
      }
      shape = l.outputShape();
    }
    return out;
  }
}
