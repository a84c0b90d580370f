package io.llt.layers.graph;

import io.llt.engine.config.Checks;
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
 * GraphSAGE with mean aggregation (Hamilton et al., 2017), as PyG's {@code SAGEConv(aggr="mean")}:
 * {@code z_i = W_l mean_{j -> i} x_j + b + W_r x_i}, the mean over the in-neighbours (no
 * self-loop; a node without neighbours aggregates 0). Both weights sit side by side in one {@code
 * [fanIn, 2 units]} matrix so that one product {@code X [W_l | W_r]} serves both, and the mean is
 * taken after the product (it is linear). No activation: put one after it. Type id {@code sage}.
 */
public final class SageLayer implements GraphLayer {
  /**
   * Config of {@code type: sage}.
   *
   * @param units output width; required, > 0
   */
  public record Config(Integer units) implements LayerConfig {
    /** Validates. */
    public Config {
      Checks.required("units", units, "the output width, for example 128");
      Checks.positive("units", units);
    }

    @Override
    public Layer build(long[] inputShape, DataType dataType) {
      return new SageLayer(this, inputShape);
    }
  }

  /** Registers {@code type: sage}. */
  public static final class Provider implements LayerProvider {
    @Override
    public String id() {
      return "sage";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "GraphSAGE, mean aggregation plus a root weight (PyG SAGEConv)";
    }
  }

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

  private SageLayer(Config config, long[] inputShape) {
    this.inputShape = inputShape.clone();
    this.fanIn = Shapes.size(inputShape);
    this.units = config.units();
  }

  @Override
  public void attach(Adjacency adjacency) {
    this.graph = adjacency;
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
    return fanIn * 2 * units + units;
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long nw = fanIn * 2 * units;
    w = params.get(NDArrayIndex.all(), NDArrayIndex.interval(0, nw)).reshape('c', fanIn, 2 * units);
    dw = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(0, nw)).reshape('c', fanIn, 2 * units);
    b = params.get(NDArrayIndex.all(), NDArrayIndex.interval(nw, nw + units));
    db = grads.get(NDArrayIndex.all(), NDArrayIndex.interval(nw, nw + units));
  }

  /** PyTorch's {@code Linear} default for both weights and the bias: U(+-1/sqrt(fanIn)). */
  @Override
  public void initialize(SplittableRandom rng) {
    double bound = 1.0 / Math.sqrt(fanIn);
    Shapes.fillUniform(w, bound, rng);
    Shapes.fillUniform(b, bound, rng);
  }

  @Override
  public INDArray forward(INDArray input, boolean training, Random rng) {
    Adjacency a = GraphLayers.require(graph, input, "sage");
    INDArray xw = Nd4j.matmul(input, w);
    INDArray left = xw.get(NDArrayIndex.all(), NDArrayIndex.interval(0, units)).dup('c');
    INDArray z = Aggregation.forward(left, a, a.meanWeights());
    z.addi(xw.get(NDArrayIndex.all(), NDArrayIndex.interval(units, 2 * units)));
    z.addiRowVector(b);
    if (training) {
      lastInput = input;
      trained = a;
    }
    return z;
  }

  @Override
  public INDArray backward(INDArray gradOutput, boolean needInputGrad) {
    if (lastInput == null) {
      throw new IllegalStateException("sage backward without a training forward");
    }
    db.assign(gradOutput.sum(0).reshape(1, units));
    INDArray dxw = Nd4j.createUninitialized(w.dataType(), new long[] {gradOutput.size(0), 2 * units}, 'c');
    dxw.get(NDArrayIndex.all(), NDArrayIndex.interval(0, units))
        .assign(
            Aggregation.backward(gradOutput, trained, trained.meanWeights()));
    dxw.get(NDArrayIndex.all(), NDArrayIndex.interval(units, 2 * units)).assign(gradOutput);
    Nd4j.matmul(lastInput, dxw, dw, true, false, false);
    INDArray dx = needInputGrad ? Nd4j.matmul(dxw, w, false, true, false) : null;
    lastInput = null;
    return dx;
  }

  @Override
  public long activationValuesPerExample() {
    return units;
  }

  /**
   * Per node: {@code X [W_l | W_r]} ({@code 2 units}), the left half's copy, the output, the
   * aggregated gradient and dL/d(XW) ({@code 2 units}), dL/dX when asked, and the double-precision
   * arrays the two sums over edges are built in before their cast (counted as 4 units, their size
   * in float). The host copies on the Java heap are not counted.
   */
  @Override
  public long workingValuesPerExample(boolean needInputGrad) {
    long hostCopies = 4 * units;
    return 7 * units + hostCopies + (needInputGrad ? fanIn : 0);
  }
}
