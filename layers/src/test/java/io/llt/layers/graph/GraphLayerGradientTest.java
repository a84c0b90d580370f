package io.llt.layers.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.data.graph.Adjacency;
import io.llt.engine.spi.GraphLayer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.testing.GradCheck;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.layers.dense.WeightInit;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.factory.ops.NDBase;

/**
 * The graph layers' backward passes against central finite differences in double precision, on a
 * 7-node graph with a node of high degree, a leaf, an isolated node and a repeated neighbour list
 * (so gathers repeat indices), for L = sum(forward(x) * R).
 */
@ExtendWith(NativeLeakCheck.class)
class GraphLayerGradientTest {
  private static final double TOL = 1e-6;

  /** Undirected pairs over 7 nodes; node 6 is isolated, node 0 a hub. */
  static Adjacency graph() {
    return Adjacency.undirected(
        7, new int[] {0, 0, 0, 0, 1, 2, 3}, new int[] {1, 2, 3, 4, 2, 5, 4});
  }

  static Stream<Arguments> layers() {
    return Stream.of(
        Arguments.of("gcn", new GcnLayer.Config(4, true, null)),
        Arguments.of("gcn no bias, uniform init", new GcnLayer.Config(3, false, WeightInit.UNIFORM_FAN_IN)),
        Arguments.of("sage", new SageLayer.Config(4)),
        Arguments.of("gat 2 heads", new GatLayer.Config(4, 2)),
        Arguments.of("gat 1 head", new GatLayer.Config(3, 1)),
        Arguments.of("gat 3 heads x 1", new GatLayer.Config(3, 3)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void backwardMatchesFiniteDifferences(String name, LayerConfig config) {
    GraphLayer layer = (GraphLayer) config.build(new long[] {5}, DataType.DOUBLE);
    INDArray params = Nd4j.zeros(DataType.DOUBLE, 1, layer.numParams());
    INDArray grads = Nd4j.zeros(DataType.DOUBLE, 1, layer.numParams());
    layer.bind(params, grads);
    layer.initialize(new SplittableRandom(11));
    layer.attach(graph());
    int out = (int) layer.outputShape()[0];
    INDArray x = Arrays2.gaussian(1, 7, 5);
    INDArray r = Arrays2.gaussian(2, 7, out);

    layer.forward(x, true, null);
    INDArray dx = layer.backward(r, true);
    INDArray analyticParams = grads.dup();

    java.util.function.DoubleSupplier loss =
        () -> layer.forward(x, true, null).mul(r).sumNumber().doubleValue();
    GradCheck.assertGradient(name + " input", loss, x, dx, TOL);
    GradCheck.assertGradient(name + " parameters", loss, params, analyticParams, TOL);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void relabellingTheNodesPermutesTheOutputRows(String name, LayerConfig config) {
    GraphLayer layer = (GraphLayer) config.build(new long[] {5}, DataType.DOUBLE);
    INDArray params = Nd4j.zeros(DataType.DOUBLE, 1, layer.numParams());
    layer.bind(params, Nd4j.zeros(DataType.DOUBLE, 1, layer.numParams()));
    layer.initialize(new SplittableRandom(5));
    Adjacency a = graph();
    int[] p = {3, 6, 0, 5, 1, 2, 4}; // node i becomes node p[i]
    int[] src = a.src();
    int[] dst = a.dst();
    int[] ps = new int[src.length];
    int[] pd = new int[dst.length];
    for (int e = 0; e < src.length; e++) {
      ps[e] = p[src[e]];
      pd[e] = p[dst[e]];
    }
    INDArray x = Arrays2.gaussian(8, 7, 5);
    INDArray px = Nd4j.zeros(DataType.DOUBLE, 7, 5);
    for (int i = 0; i < 7; i++) {
      px.putRow(p[i], x.getRow(i));
    }
    layer.attach(a);
    INDArray y = layer.forward(x, false, null);
    layer.attach(new Adjacency(7, ps, pd));
    INDArray py = layer.forward(px, false, null);
    for (int i = 0; i < 7; i++) {
      assertThat(py.getRow(p[i]).sub(y.getRow(i)).amaxNumber().doubleValue())
          .as("%s node %d", name, i)
          .isLessThan(1e-12);
    }
  }

  @Test
  void gcnNormalisesSymmetricallyWithSelfLoopsOnAHandMadeGraph() {
    // path 0-1-2 plus an edge 1-3: degrees with self-loops 2, 4, 2, 2
    Adjacency a = Adjacency.undirected(4, new int[] {0, 1, 1}, new int[] {1, 2, 3});
    GraphLayer gcn = (GraphLayer) new GcnLayer.Config(1, false, null).build(new long[] {1}, DataType.DOUBLE);
    INDArray p = Nd4j.ones(DataType.DOUBLE, 1, 1);
    gcn.bind(p, Nd4j.zeros(DataType.DOUBLE, 1, 1));
    gcn.attach(a);
    // with W = 1 the output is A_hat x; x = e_k gives column k of A_hat
    double[][] expected = {
      {1.0 / 2, 1.0 / Math.sqrt(8), 0, 0},
      {1.0 / Math.sqrt(8), 1.0 / 4, 1.0 / Math.sqrt(8), 1.0 / Math.sqrt(8)},
      {0, 1.0 / Math.sqrt(8), 1.0 / 2, 0},
      {0, 1.0 / Math.sqrt(8), 0, 1.0 / 2}
    };
    for (int k = 0; k < 4; k++) {
      INDArray x = Nd4j.zeros(DataType.DOUBLE, 4, 1);
      x.putScalar(k, 0, 1.0);
      INDArray z = gcn.forward(x, false, null);
      for (int i = 0; i < 4; i++) {
        assertThat(z.getDouble(i, 0)).as("A_hat[%d][%d]", i, k).isCloseTo(expected[i][k], org.assertj.core.data.Offset.offset(1e-12));
      }
    }
  }

  @Test
  void theHostEdgePassAgreesWithNd4jGatherAndSegmentSum() {
    Adjacency a = graph().selfLooped();
    INDArray x = Arrays2.gaussian(3, 7, 4);
    double[] w = a.symmetricNormWeights();
    INDArray wc = Nd4j.create(w, new long[] {w.length, 1}, 'c');
    NDBase ops = new NDBase();
    INDArray viaOps =
        ops.unsortedSegmentSum(
            ops.gather(x, a.srcIndex(), 0).mulColumnVector(wc), a.dstIndex(), a.numRows());
    assertThat(Aggregation.forward(x, a, w).sub(viaOps).amaxNumber().doubleValue())
        .isLessThan(1e-12);
    INDArray viaOpsT =
        ops.unsortedSegmentSum(
            ops.gather(x, a.dstIndex(), 0).mulColumnVector(wc), a.srcIndex(), a.numRows());
    assertThat(Aggregation.backward(x, a, w).sub(viaOpsT).amaxNumber().doubleValue())
        .isLessThan(1e-12);
  }

  @Test
  void sageMeansOverInNeighboursAndAddsTheRootTerm() {
    // star 0-1, 0-2; node 3 isolated
    Adjacency a = Adjacency.undirected(4, new int[] {0, 0}, new int[] {1, 2});
    GraphLayer sage = (GraphLayer) new SageLayer.Config(1).build(new long[] {1}, DataType.DOUBLE);
    // W_l = 2, W_r = 10, b = 0.5
    INDArray p = Nd4j.createFromArray(new double[][] {{2, 10, 0.5}});
    sage.bind(p, Nd4j.zeros(DataType.DOUBLE, 1, 3));
    sage.attach(a);
    INDArray x = Nd4j.createFromArray(new double[][] {{1}, {3}, {5}, {7}});
    INDArray z = sage.forward(x, false, null);
    assertThat(z.getDouble(0, 0)).isEqualTo(2 * 4 + 10 * 1 + 0.5);
    assertThat(z.getDouble(1, 0)).isEqualTo(2 * 1 + 10 * 3 + 0.5);
    assertThat(z.getDouble(2, 0)).isEqualTo(2 * 1 + 10 * 5 + 0.5);
    assertThat(z.getDouble(3, 0)).isEqualTo(10 * 7 + 0.5);
  }

  @Test
  void gatWithZeroAttentionAveragesTheNeighbourhoodIncludingSelf() {
    Adjacency a = Adjacency.undirected(3, new int[] {0}, new int[] {1});
    GraphLayer gat = (GraphLayer) new GatLayer.Config(1, 1).build(new long[] {1}, DataType.DOUBLE);
    // W = 1, a_src = a_dst = 0, b = 0: uniform attention over {self} + in-neighbours
    INDArray p = Nd4j.createFromArray(new double[][] {{1, 0, 0, 0}});
    gat.bind(p, Nd4j.zeros(DataType.DOUBLE, 1, 4));
    gat.attach(a);
    INDArray z = gat.forward(Nd4j.createFromArray(new double[][] {{2}, {4}, {9}}), false, null);
    assertThat(z.getDouble(0, 0)).isEqualTo(3.0);
    assertThat(z.getDouble(1, 0)).isEqualTo(3.0);
    assertThat(z.getDouble(2, 0)).isEqualTo(9.0);
  }

  @Test
  void aLayerWithoutAGraphOrWithTheWrongRowCountSaysSo() {
    GraphLayer gcn = (GraphLayer) new GcnLayer.Config(2, true, null).build(new long[] {3}, DataType.DOUBLE);
    gcn.bind(Nd4j.zeros(DataType.DOUBLE, 1, gcn.numParams()), Nd4j.zeros(DataType.DOUBLE, 1, gcn.numParams()));
    INDArray x = Nd4j.zeros(DataType.DOUBLE, 4, 3);
    assertThatThrownBy(() -> gcn.forward(x, false, null))
        .hasMessageContaining("before a graph was attached");
    gcn.attach(graph());
    assertThatThrownBy(() -> gcn.forward(x, false, null))
        .hasMessageContaining("got 4 rows but its graph has 7 nodes");
  }
}
