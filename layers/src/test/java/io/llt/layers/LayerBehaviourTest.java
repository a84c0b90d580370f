package io.llt.layers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.config.InvalidValueException;
import io.llt.engine.spi.Layer;
import io.llt.engine.testing.Arrays2;
import io.llt.layers.activation.Activation;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.norm.BatchNormLayer;
import io.llt.layers.norm.NormKind;
import io.llt.layers.norm.NormalizeLayer;
import io.llt.layers.regularization.DropoutLayer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Behaviour beyond gradients: parameter and buffer views, initialisation, scale invariance,
 * dropout.
 */
class LayerBehaviourTest {
  @Test
  void l2NormalizeOfAnAllZeroFloatRowHasAFiniteZeroGradient() {
    Layer norm = new NormalizeLayer.Config(NormKind.L2, null).build(new long[] {3}, DataType.FLOAT);
    INDArray x = Nd4j.createFromArray(new float[][] {{0, 0, 0}, {3, 4, 0}});
    INDArray y = norm.forward(x, true, null);
    assertThat(y.getFloat(0, 0)).isEqualTo(0f);
    INDArray dx = norm.backward(Nd4j.ones(DataType.FLOAT, 2, 3), true);
    assertThat(dx.isNaN().any()).isFalse();
    // an all-zero row passes the gradient through, scaled by 1/eps
    assertThat(dx.getDouble(0, 0)).isCloseTo(1e8, org.assertj.core.data.Offset.offset(1e2));
  }

  @Test
  void denseParametersAreViewsOfTheFlatVector() {
    DenseLayer layer = (DenseLayer) new DenseLayer.Config(3, true, Activation.RELU, null).build(new long[] {4}, DataType.FLOAT);
    INDArray params = Nd4j.zeros(DataType.FLOAT, 1, layer.numParams());
    INDArray grads = Nd4j.zeros(DataType.FLOAT, 1, layer.numParams());
    layer.bind(params, grads);
    params.putScalar(0, 5f);
    params.putScalar(12, 7f);
    assertThat(layer.weights().getDouble(0, 0)).isEqualTo(5.0);
    assertThat(layer.bias().getDouble(0)).isEqualTo(7.0);
    layer.forward(Nd4j.ones(DataType.FLOAT, 2, 4), true, null);
    layer.backward(Nd4j.ones(DataType.FLOAT, 2, 3), false);
    assertThat(grads.sumNumber().doubleValue()).as("backward wrote into the flat gradient vector").isNotZero();
  }

  @Test
  void defaultInitIsPyTorchsUniformFanIn() {
    DenseLayer layer = (DenseLayer) new DenseLayer.Config(50, true, null, null).build(new long[] {100}, DataType.DOUBLE);
    INDArray params = Nd4j.zeros(DataType.DOUBLE, 1, layer.numParams());
    layer.bind(params, Nd4j.zeros(DataType.DOUBLE, 1, layer.numParams()));
    layer.initialize(new SplittableRandom(3));
    double bound = 1 / Math.sqrt(100);
    assertThat(params.amaxNumber().doubleValue()).isLessThanOrEqualTo(bound).isGreaterThan(0.9 * bound);
    // uniform on [-b, b] has variance b^2/3
    assertThat(layer.weights().varNumber().doubleValue()).isCloseTo(bound * bound / 3, org.assertj.core.data.Percentage.withPercentage(10));
  }

  @Test
  void normalizationIsScaleInvariant() {
    for (NormKind kind : NormKind.values()) {
      Layer n = new NormalizeLayer.Config(kind, null).build(new long[] {8}, DataType.DOUBLE);
      INDArray x = Arrays2.gaussian(5, 4, 8);
      INDArray y1 = n.forward(x, false, null);
      INDArray y2 = n.forward(x.mul(37.5), false, null);
      assertThat(y1.sub(y2).amaxNumber().doubleValue()).as(kind + " scale invariance").isLessThan(1e-6);
      INDArray y3 = n.forward(x.neg(), false, null);
      assertThat(y1.add(y3).amaxNumber().doubleValue()).as(kind + " sign flips").isLessThan(1e-12);
      double expectedSq = kind == NormKind.L2 ? 1.0 : 8.0;
      assertThat(y1.mul(y1).sum(1).getDouble(0)).isCloseTo(expectedSq, org.assertj.core.data.Offset.offset(1e-6));
    }
  }

  @Test
  void dropoutKeepsTheExpectationAndIsIdentityAtInference() {
    Layer d = new DropoutLayer.Config(0.25).build(new long[] {1000}, DataType.DOUBLE);
    INDArray x = Nd4j.ones(DataType.DOUBLE, 20, 1000);
    INDArray y = d.forward(x, true, Nd4j.getRandomFactory().getNewRandomInstance(9));
    assertThat(y.meanNumber().doubleValue()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.02));
    double zeros = y.eq(0).castTo(DataType.DOUBLE).meanNumber().doubleValue();
    assertThat(zeros).isCloseTo(0.25, org.assertj.core.data.Offset.offset(0.02));
    assertThat(d.forward(x, false, null)).isSameAs(x);
  }

  @Test
  void batchNormParametersAndBuffersAreViewsAtTheirOffsetInTheBlocksVectors() {
    // as a block binds a layer that follows others: slices [4, 10) of longer flat vectors
    Layer layer = new BatchNormLayer.Config(true, null, null).build(new long[] {3, 2, 2}, DataType.DOUBLE);
    INDArray params = Nd4j.valueArrayOf(new long[] {1, 10}, 5.0, DataType.DOUBLE);
    INDArray grads = Nd4j.valueArrayOf(new long[] {1, 10}, 5.0, DataType.DOUBLE);
    INDArray buffers = Nd4j.valueArrayOf(new long[] {1, 10}, 5.0, DataType.DOUBLE);
    layer.bind(
        params.get(NDArrayIndex.all(), NDArrayIndex.interval(4, 10)),
        grads.get(NDArrayIndex.all(), NDArrayIndex.interval(4, 10)));
    layer.initialize(new SplittableRandom(1));
    layer.bindBuffers(buffers.get(NDArrayIndex.all(), NDArrayIndex.interval(4, 10)));
    assertThat(params.data().asDouble()).containsExactly(5, 5, 5, 5, 1, 1, 1, 0, 0, 0);
    assertThat(buffers.data().asDouble()).containsExactly(5, 5, 5, 5, 0, 0, 0, 1, 1, 1);
    INDArray x = Arrays2.gaussian(8, 4, 12).addi(2);
    layer.forward(x, true, null);
    layer.backward(Arrays2.gaussian(9, 4, 12), false);
    for (int i = 0; i < 4; i++) {
      assertThat(grads.getDouble(0, i)).as("gradient outside the slice").isEqualTo(5.0);
      assertThat(buffers.getDouble(0, i)).as("buffer outside the slice").isEqualTo(5.0);
    }
    assertThat(grads.getDouble(0, 4)).as("dgamma written into the slice").isNotEqualTo(5.0);
    assertThat(buffers.getDouble(0, 4)).as("running mean moved towards the batch mean").isGreaterThan(0.05);
    // inference reads what a checkpoint restore writes into the bound vector
    INDArray before = layer.forward(x, false, null);
    buffers.get(NDArrayIndex.all(), NDArrayIndex.interval(4, 10)).assign(Nd4j.create(new double[] {0, 0, 0, 1, 1, 1}, new long[] {1, 6}, 'c'));
    INDArray after = layer.forward(x, false, null);
    assertThat(after.sub(before).amaxNumber().doubleValue()).isGreaterThan(0.1);
    assertThat(after.sub(x).amaxNumber().doubleValue()).as("zero mean, unit variance, gamma 1, beta 0").isLessThan(1e-4);
  }

  @Test
  void layerConfigsRejectBadValues() {
    assertThatThrownBy(() -> new DenseLayer.Config(0, null, null, null))
        .isInstanceOf(InvalidValueException.class).hasMessageContaining("must be > 0, found 0")
        .satisfies(e -> assertThat(((InvalidValueException) e).component()).isEqualTo("units"));
    assertThatThrownBy(() -> new DenseLayer.Config(null, null, null, null))
        .isInstanceOf(InvalidValueException.class).hasMessageContaining("required");
    assertThatThrownBy(() -> new DropoutLayer.Config(1.0))
        .isInstanceOf(InvalidValueException.class).hasMessageContaining("found 1.0");
    assertThatThrownBy(() -> new NormalizeLayer.Config(null, -1.0))
        .isInstanceOf(InvalidValueException.class).hasMessageContaining("found -1.0");
  }
}
