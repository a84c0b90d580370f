package io.llt.layers.graph;

import io.llt.engine.config.Checks;
import io.llt.engine.data.graph.Adjacency;
import io.llt.engine.spi.GraphLayer;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LayerProvider;
import io.llt.layers.Shapes;
import io.llt.layers.dense.WeightInit;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Graph convolution (Kipf and Welling, 2017), as PyG's {@code GCNConv}: {@code Z = A_hat X W + b}
 * with {@code A_hat = D^-1/2 (A + I) D^-1/2} (a self-loop added on every node that has none, D the
 * degree with the loops). Computed as {@code A_hat (X W)}: the dense product first, then one pass
 * over the edges ({@link Aggregation}). No activation: put one after it.
 * Type id {@code gcn}.
 */
public final class GcnLayer implements GraphLayer {
  /**
   * Config of {@code type: gcn}.
   *
   * @param units output width; required, > 0
   * @param bias whether to add a bias; default true
   * @param init weight init; default {@code xavier-uniform} (PyG's glorot), bias zero
   */
  public record Config(Integer units, Boolean bias, WeightInit init) implements LayerConfig {
    /** Validates and applies defaults. */
    public Config {
      Checks.required("units", units, "the output width, for example 128");
      Checks.positive("units", units);
      bias = bias == null || bias;
      init = init == null ? WeightInit.XAVIER_UNIFORM : init;
      WeightInit.checkRadius(init, null);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new GcnLayer(this, inputShape);
    }
  }

  /** Registers {@code type: gcn}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "gcn";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "graph convolution, symmetric normalisation with self-loops (PyG GCNConv)";
    }
  }

  private final Config config;
  private final long[] inputShape;
  private final long fanIn;
  private final long units;
  private INDArray w;
  private INDArray b;
  private INDArray dw;
  private INDArray db;
  private Adjacency graph;
  private Adjacency trained;
  private INDArray lastInput;

  private GcnLayer(Config config, long[] inputShape) {
    this.config = config;
    this.inputShape = inputShape.clone();
    this.fanIn = Shapes.size(inputShape);
    this.units = config.units();
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
    return fanIn * units + (config.bias() ? units : 0);
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long nw = fanIn * units;
    w = params.get(NDArrayIndex.all(), NDArrayIndex.interval(0, nw)).reshape('c', fanIn, units);
    dw = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(0, nw)).reshape('c', fanIn, units);
    if (config.bias()) {
      b = params.get(NDArrayIndex.all(), NDArrayIndex.interval(nw, nw + units));
      db = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(nw, nw + units));
    }
  }

  @Override
  public void initialize(SplittableRandom rng) {
    config.init().fill(w, b, fanIn, units, null, rng);
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    Adjacency a = requireGraph(input);
    INDArray xw = Nd4j.matmul(input, w);
    INDArray z = Aggregation.forward(xw, a, a.symmetricNormWeights());
    if (b != null) {
      z.addiRowVector(b);
    }
    if (training) {
      lastInput = input;
      trained = a;
    }
    return z;
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    if (lastInput == null) {
      throw new IllegalStateException("gcn backward without a training forward");
    }
    if (db != null) {
      db.assign(gradOutput.sum(0).reshape(1, units));
    }
    INDArray dxw =
        Aggregation.backward(
            gradOutput, trained, trained.symmetricNormWeights());
    Nd4j.matmul(lastInput, dxw, dw, true, false, false);
    INDArray dx = needInputGrad ? Nd4j.matmul(dxw, w, false, true, false) : null;
    lastInput = null;
    return dx;
  }

  private Adjacency requireGraph(INDArray input) {
    return GraphLayers.require(graph, input, "gcn");
  }

  @Override
  public long activationValuesPerExample() {
    return units;
  }

  /**
   * Per node: X W and the output ({@code 2 units}), dL/d(XW) ({@code units}) and dL/dX when
   * asked, and the double-precision arrays the two sums over edges are built in before their cast
   * (counted as 4 units, their size in float). The host copies on the Java heap are not counted.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    long hostCopies = 4 * units;
    return 3 * units + hostCopies + (needInputGrad ? fanIn : 0);
  }
}
