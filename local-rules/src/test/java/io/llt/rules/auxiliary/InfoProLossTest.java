package io.llt.rules.auxiliary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import io.llt.engine.config.InvalidValueException;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.layers.shape.UpsampleLayer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** InfoPro's weight schedule, its BCE and its decoder's shape, against values worked by hand. */
@ExtendWith(NativeLeakCheck.class)
class InfoProLossTest {
  @Test
  void weightsFollowInfoProsBlockIndexForResNet32WithK16() {
    // comand.sh, ResNet-32 K=16: (ixx_1, ixy_1, ixx_2, ixy_2) = (5, 0.05, 0.2, 0.5); r = k / 14
    InfoProLoss l = new InfoProLoss(List.of(5.0, 0.2), List.of(0.05, 0.5), null);
    assertThat(l.reconstructionWeight(0, 16)).isCloseTo(5.0, offset(1e-12));
    assertThat(l.taskWeight(0, 16)).isCloseTo(0.05, offset(1e-12));
    assertThat(l.reconstructionWeight(7, 16)).isCloseTo(2.6, offset(1e-12));
    assertThat(l.taskWeight(7, 16)).isCloseTo(0.275, offset(1e-12));
    assertThat(l.reconstructionWeight(14, 16)).isCloseTo(0.2, offset(1e-12));
    assertThat(l.taskWeight(14, 16)).isCloseTo(0.5, offset(1e-12));
    // K = 2: r = 0; one value is constant; the task weight defaults to 1
    assertThat(l.reconstructionWeight(0, 2)).isCloseTo(5.0, offset(1e-12));
    InfoProLoss c = new InfoProLoss(List.of(3.0), null, null);
    assertThat(c.reconstructionWeight(3, 5)).isEqualTo(3.0);
    assertThat(c.taskWeight(3, 5)).isEqualTo(1.0);
    assertThat(c.decoderWidth()).isEqualTo(12);
  }

  @Test
  void badWeightsAreRefusedWithTheirKey() {
    assertThatThrownBy(() -> new InfoProLoss(null, null, null))
        .isInstanceOf(InvalidValueException.class).hasMessageContaining("[5, 0.2]");
    assertThatThrownBy(() -> new InfoProLoss(List.of(1.0, 2.0, 3.0), null, null))
        .hasMessageContaining("one weight or two");
    assertThatThrownBy(() -> new InfoProLoss(List.of(1.0), List.of(-1.0), null))
        .isInstanceOfSatisfying(
            InvalidValueException.class, e -> assertThat(e.component()).isEqualTo("task"));
    assertThatThrownBy(() -> new InfoProLoss(List.of(Double.NaN), null, null))
        .hasMessageContaining(">= 0");
  }

  @Test
  void bceIsTheMeanOverEveryPixelAndItsGradientIsSigmoidMinusTarget() {
    double[] a = {0.0, 2.0, -3.0, 40.0, -40.0, 0.5};
    double[] t = {0.5, 1.0, 0.0, 0.2, 0.9, 0.0};
    INDArray av = Nd4j.create(a, new long[] {2, 3}, 'c');
    INDArray tv = Nd4j.create(t, new long[] {2, 3}, 'c');
    double[] loss = new double[1];
    double[] g = InfoProLoss.bce(av, tv, 3.0, loss).data().asDouble();
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      // softplus(a) - t a, the stable form of -t log s - (1 - t) log(1 - s)
      double sp = Math.max(a[i], 0) + Math.log1p(Math.exp(-Math.abs(a[i])));
      sum += sp - t[i] * a[i];
      double s = 1 / (1 + Math.exp(-a[i]));
      assertThat(g[i]).isCloseTo(3.0 * (s - t[i]) / 6, offset(1e-12));
    }
    assertThat(loss[0]).isCloseTo(sum / 6, offset(1e-12));
    // at a = 0, t = 0.5: log 2
    assertThat(Math.max(0, 0) + Math.log1p(1) - 0.5 * 0).isCloseTo(Math.log(2), offset(1e-15));
  }

  @Test
  void theDecoderUpsamplesOnlyWhenTheSizesDiffer() {
    InfoProLoss l = new InfoProLoss(List.of(5.0), null, 12);
    assertThat(l.decoder(new long[] {16, 28, 28}, new long[] {1, 28, 28})).hasSize(4);
    var up = l.decoder(new long[] {32, 14, 14}, new long[] {3, 28, 28});
    assertThat(up).hasSize(5);
    assertThat(up.get(0)).isEqualTo(new UpsampleLayer.Config(28, 28));
    assertThatThrownBy(() -> l.decoder(new long[] {64}, new long[] {1, 28, 28}))
        .hasMessageContaining("remove the infopro key");
  }
}
