package io.llt.layers.graph;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.data.graph.Adjacency;
import io.llt.engine.spi.GraphLayer;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.layers.Shapes;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Graph attention (Velickovic et al., 2018), as PyG's {@code GATConv} with concatenated heads and
 * no dropout: per head h, {@code x'_j = (X W)_{j,h}}, {@code e_ji = LeakyReLU_0.2(a_src_h . x'_j +
 * a_dst_h . x'_i)} for every edge j -> i including a self-loop on every node, {@code alpha} the
 * softmax of {@code e} over the edges into i, and {@code z_i,h = sum_j alpha_ji x'_j}; the heads
 * are concatenated and a bias added. {@code units} is the concatenated width, so {@code units /
 * heads} per head (ForwardGNN: 128 = 4 x 32).
 *
 * <p>The dense products run on the device: {@code X W}, and the attention scores of all heads as
 * one product with a block-diagonal {@code [units, 2 heads]} matrix of the attention vectors. The
 * per-edge work (scores, the softmax over each node's incoming edges, the weighted sums, and their
 * backward) runs in one host pass over the edge list, as {@link Aggregation} and for
 * the same measured reason; the attention weights and the host copy of {@code X W} are kept on
 * the Java heap between forward and backward. No activation: put one after it. Type id {@code
 * gat}.
 */
public final class GatLayer implements GraphLayer {
  /** PyG's default negative slope of the attention LeakyReLU. */
  static final double SLOPE = 0.2;

  /**
   * Config of {@code type: gat}.
   *
   * @param units concatenated output width; required, > 0, a multiple of {@code heads}
   * @param heads attention heads; default 4
   */
  public record Config(Integer units, Integer heads) implements LayerConfig {
    /** Validates and applies defaults. */
    public Config {
      Checks.required("units", units, "the concatenated output width, for example 128");
      Checks.positive("units", units);
      heads = heads == null ? 4 : heads;
      Checks.positive("heads", heads);
      if (units % heads != 0) {
        throw new InvalidValueException(
            "units", "must be a multiple of heads (" + heads + "), found " + units);
      }
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new GatLayer(this, inputShape);
    }
  }

  /** Registers {@code type: gat}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "gat";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "graph attention, concatenated heads, self-loops (PyG GATConv, no dropout)";
    }
  }

  private final long[] inputShape;
  private final long fanIn;
  private final long units;
  private final int heads;
  private final long perHead;
  private INDArray w;
  private INDArray attSrc;
  private INDArray attDst;
  private INDArray b;
  private INDArray dw;
  private INDArray dAttSrc;
  private INDArray dAttDst;
  private INDArray db;
  private Adjacency graph;
  // kept from the last training forward
  private Adjacency trained;
  private INDArray lastInput;
  private INDArray lastXw;
  private double[] lastXv;
  private double[] lastAlpha;
  private double[] lastSlope;
  private INDArray lastA;

  private GatLayer(Config config, long[] inputShape) {
    this.inputShape = inputShape.clone();
    this.fanIn = Shapes.size(inputShape);
    this.units = config.units();
    this.heads = config.heads();
    this.perHead = units / heads;
  }

  @Override
  public void attach(Adjacency adjacency) {
    this.graph = adjacency.selfLooped();
  }

  @Override
  public long[] inputShape() {
    return inputShape.clone();
  }

  @Override
  public long[] outputShape() {
    return new long[] {units};
  }

  @Override
  public long numParams() {
    return fanIn * units + 3 * units;
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long nw = fanIn * units;
    w = params.get(NDArrayIndex.all(), NDArrayIndex.interval(0, nw)).reshape('c', fanIn, units);
    dw = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(0, nw)).reshape('c', fanIn, units);
    attSrc = params.get(NDArrayIndex.all(), NDArrayIndex.interval(nw, nw + units));
    dAttSrc = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(nw, nw + units));
    attDst = params.get(NDArrayIndex.all(), NDArrayIndex.interval(nw + units, nw + 2 * units));
    dAttDst = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(nw + units, nw + 2 * units));
    b = params.get(NDArrayIndex.all(), NDArrayIndex.interval(nw + 2 * units, nw + 3 * units));
    db = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(nw + 2 * units, nw + 3 * units));
  }

  /**
   * PyG's init: glorot for W (fan-in {@code fanIn}, fan-out {@code units}) and for the attention
   * vectors (glorot of a {@code [1, heads, perHead]} tensor: bound {@code sqrt(6 / (heads +
   * perHead))}), zero bias.
   */
  @Override
  public void initialize(SplittableRandom rng) {
    Shapes.fillUniform(w, Math.sqrt(6.0 / (fanIn + units)), rng);
    double att = Math.sqrt(6.0 / (heads + perHead));
    Shapes.fillUniform(attSrc, att, rng);
    Shapes.fillUniform(attDst, att, rng);
    b.assign(0);
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    Adjacency a = GraphLayers.require(graph, input, "gat");
    DataType dt = input.dataType();
    int rows = a.numRows();
    int[] src = a.src();
    int[] dst = a.dst();
    int edges = src.length;
    int u = (int) units;
    int d = (int) perHead;
    INDArray xw = Nd4j.matmul(input, w);
    INDArray att = attentionMatrix(dt);
    double[] s = Aggregation.hostCopy(Nd4j.matmul(xw, att)); // [R, 2H]: source, then target scores
    double[] xv = Aggregation.hostCopy(xw);
    double[] alpha = new double[edges * heads];
    double[] slope = new double[edges * heads];
    double[] max = new double[rows * heads];
    java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
    for (int e = 0; e < edges; e++) {
      for (int h = 0; h < heads; h++) {
        double v = s[src[e] * 2 * heads + h] + s[dst[e] * 2 * heads + heads + h];
        double k = v > 0 ? 1 : SLOPE;
        slope[e * heads + h] = k;
        v *= k;
        alpha[e * heads + h] = v;
        max[dst[e] * heads + h] = Math.max(max[dst[e] * heads + h], v);
      }
    }
    double[] sum = new double[rows * heads];
    for (int e = 0; e < edges; e++) {
      for (int h = 0; h < heads; h++) {
        double x = Math.exp(alpha[e * heads + h] - max[dst[e] * heads + h]);
        alpha[e * heads + h] = x;
        sum[dst[e] * heads + h] += x;
      }
    }
    double[] out = new double[rows * u];
    for (int e = 0; e < edges; e++) {
      int o = dst[e] * u;
      int i = src[e] * u;
      for (int h = 0; h < heads; h++) {
        double al = alpha[e * heads + h] / sum[dst[e] * heads + h];
        alpha[e * heads + h] = al;
        for (int c = h * d; c < (h + 1) * d; c++) {
          out[o + c] += al * xv[i + c];
        }
      }
    }
    INDArray z = Aggregation.device(out, rows, units, dt);
    z.addiRowVector(b);
    if (training) {
      trained = a;
      lastInput = input;
      lastXw = xw;
      lastXv = xv;
      lastAlpha = alpha;
      lastSlope = slope;
      lastA = att;
    }
    return z;
  }

  /**
   * The backward, edge by edge on the host: {@code dalpha_e,h = g_dst . x'_src} over the head's
   * columns, {@code dx'_src += alpha g_dst}; the softmax over each node's incoming edges, {@code dz
   * = alpha (dalpha - sum_in alpha dalpha)}, times the LeakyReLU slope; the scores' gradients
   * {@code ds_src}, {@code ds_dst} summed per node; then the products with W and the attention
   * matrix on the device.
   */
  @Override
  public INDArray backward(INDArray g, boolean needInputGrad) {
    if (lastInput == null) {
      throw new IllegalStateException("gat backward without a training forward");
    }
    Adjacency a = trained;
    DataType dt = g.dataType();
    int rows = a.numRows();
    int[] src = a.src();
    int[] dst = a.dst();
    int edges = src.length;
    int u = (int) units;
    int d = (int) perHead;
    db.assign(g.sum(0).reshape(1, units));
    double[] gv = Aggregation.hostCopy(g);
    double[] dxw = new double[rows * u];
    double[] t = new double[edges * heads];
    double[] tSum = new double[rows * heads];
    for (int e = 0; e < edges; e++) {
      int o = dst[e] * u;
      int i = src[e] * u;
      for (int h = 0; h < heads; h++) {
        double al = lastAlpha[e * heads + h];
        double da = 0;
        for (int c = h * d; c < (h + 1) * d; c++) {
          da += gv[o + c] * lastXv[i + c];
          dxw[i + c] += al * gv[o + c];
        }
        t[e * heads + h] = al * da;
        tSum[dst[e] * heads + h] += al * da;
      }
    }
    double[] ds = new double[rows * 2 * heads];
    for (int e = 0; e < edges; e++) {
      for (int h = 0; h < heads; h++) {
        double dz =
            (t[e * heads + h] - lastAlpha[e * heads + h] * tSum[dst[e] * heads + h])
                * lastSlope[e * heads + h];
        ds[src[e] * 2 * heads + h] += dz;
        ds[dst[e] * 2 * heads + heads + h] += dz;
      }
    }
    INDArray dsd = Aggregation.device(ds, rows, 2L * heads, dt);
    INDArray dAtt = Nd4j.matmul(lastXw, dsd, true, false, false); // [units, 2H]
    for (int h = 0; h < heads; h++) {
      long lo = h * perHead;
      long hi = lo + perHead;
      dAttSrc.get(NDArrayIndex.all(), NDArrayIndex.interval(lo, hi))
          .assign(dAtt.get(NDArrayIndex.interval(lo, hi), NDArrayIndex.point(h)).reshape(1, perHead));
      dAttDst.get(NDArrayIndex.all(), NDArrayIndex.interval(lo, hi))
          .assign(
              dAtt.get(NDArrayIndex.interval(lo, hi), NDArrayIndex.point(heads + h))
                  .reshape(1, perHead));
    }
    INDArray dxwd = Aggregation.device(dxw, rows, units, dt);
    dxwd.addi(Nd4j.matmul(dsd, lastA, false, true, false));
    Nd4j.matmul(lastInput, dxwd, dw, true, false, false);
    INDArray dx = needInputGrad ? Nd4j.matmul(dxwd, w, false, true, false) : null;
    lastInput = null;
    lastXw = null;
    lastXv = null;
    lastAlpha = null;
    lastSlope = null;
    lastA = null;
    return dx;
  }

  /** The block-diagonal {@code [units, 2 heads]} matrix: column h holds a_src_h, column H+h a_dst_h. */
  private INDArray attentionMatrix(DataType dt) {
    INDArray m = Nd4j.zeros(dt, units, 2L * heads);
    for (int h = 0; h < heads; h++) {
      long lo = h * perHead;
      long hi = lo + perHead;
      m.get(NDArrayIndex.interval(lo, hi), NDArrayIndex.point(h))
          .assign(attSrc.get(NDArrayIndex.all(), NDArrayIndex.interval(lo, hi)).reshape(perHead));
      m.get(NDArrayIndex.interval(lo, hi), NDArrayIndex.point(heads + h))
          .assign(attDst.get(NDArrayIndex.all(), NDArrayIndex.interval(lo, hi)).reshape(perHead));
    }
    return m;
  }

  @Override
  public long activationValuesPerExample() {
    return units;
  }

  /**
   * Per node, on the device: X W and the output with its double-precision copy ({@code 4 units}
   * for float), the scores ({@code 2 heads}), their gradient with its double copy ({@code 6
   * heads}), dL/d(XW) with its double copy and the attention term ({@code 4 units}), and dL/dX
   * when asked. The host arrays (per edge and per node) are on the Java heap and not counted.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    return 8 * units + 8L * heads + (needInputGrad ? fanIn : 0);
  }
}
