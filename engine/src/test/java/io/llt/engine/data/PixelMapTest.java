package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.testing.NativeLeakCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The reconstruction target: the features mapped back to byte / 255 under every normalisation. */
@ExtendWith(NativeLeakCheck.class)
class PixelMapTest {
  @ParameterizedTest
  @EnumSource(Normalization.class)
  void theUnitImageIsTheBytesOver255Within1e6(Normalization n) {
    byte[] pixels = new byte[256 * 2];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 37 % 256);
    }
    int[] rows = {0, 1};
    float[] lut = DataArrays.lookupTable(n, pixels, 256, rows);
    INDArray features = DataArrays.fromBytes(pixels, 256, rows, lut, DataType.FLOAT);
    double[] unit = PixelMap.of(lut).toUnit(features).data().asDouble();
    for (int i = 0; i < pixels.length; i++) {
      assertThat(Math.abs(unit[i] - (pixels[i] & 0xFF) / 255.0)).isLessThan(1e-6);
    }
  }

  @Test
  void aFlatMapIsRefused() {
    assertThatThrownBy(() -> new PixelMap(0, 1)).hasMessageContaining("non-zero scale");
  }
}
