package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DataArraysTest {
  @Test
  void fromBytesGathersRowsAcrossSeveralChunks() {
    int n = 1000;
    int len = 784; // 334 rows per chunk: three full chunks and a partial one
    byte[] bytes = new byte[n * len];
    new SplittableRandom(1).nextBytes(bytes);
    int[] rows = new int[900];
    SplittableRandom r = new SplittableRandom(2);
    for (int i = 0; i < rows.length; i++) {
      rows[i] = r.nextInt(n);
    }
    float[] lut = new float[256];
    for (int v = 0; v < 256; v++) {
      lut[v] = v * 0.5f - 3;
    }
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16}) {
      INDArray x = DataArrays.fromBytes(bytes, len, rows, lut, type);
      try {
        assertThat(x.dataType()).isEqualTo(type);
        assertThat(x.shape()).containsExactly(rows.length, len);
        float[][] m = x.castTo(DataType.FLOAT).toFloatMatrix();
        for (int i = 0; i < rows.length; i++) {
          for (int c = 0; c < len; c++) {
            assertThat(m[i][c]).isEqualTo(lut[bytes[rows[i] * len + c] & 0xFF]);
          }
        }
      } finally {
        x.close();
      }
    }
  }

  @Test
  @SuppressWarnings("try")
  void arraysAreCreatedOutsideAnOpenWorkspace() {
    WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20).build();
    try (MemoryWorkspace ws =
        Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "DATA_TEST")) {
      INDArray a =
          DataArrays.fromBytes(
              new byte[] {1, 2, 3, 4}, 2, new int[] {1, 0}, new float[256], DataType.FLOAT);
      INDArray b =
          DataArrays.fromFloats(new float[] {1, 2, 3, 4}, 2, new int[] {1}, DataType.FLOAT);
      assertThat(a.isAttached()).isFalse();
      assertThat(b.isAttached()).isFalse();
      assertThat(b.toFloatVector()).containsExactly(3, 4);
      a.close();
      b.close();
    }
  }

  @Test
  void holdOutIsAPartitionAndSeeded() {
    int[][] a = DataArrays.holdOut(50, 12, 9);
    int[][] b = DataArrays.holdOut(50, 12, 9);
    int[][] c = DataArrays.holdOut(50, 12, 10);
    assertThat(a[0]).hasSize(38).isSorted();
    assertThat(a[1]).hasSize(12).isSorted();
    Set<Integer> all = new HashSet<>();
    for (int[] part : a) {
      for (int i : part) {
        assertThat(all.add(i)).as("index %d appears twice", i).isTrue();
      }
    }
    assertThat(all).hasSize(50);
    assertThat(b[1]).containsExactly(a[1]);
    assertThat(c[1]).isNotEqualTo(a[1]);
    assertThat(DataArrays.holdOut(5, 0, 1)[1]).isEmpty();
  }

  @Test
  void integerFeatureTypesAreRejected() {
    assertThatThrownBy(() -> DataArrays.requireFloating(DataType.INT32))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("floating-point")
        .hasMessageEndingWith("found INT");
  }
}
