package io.llt.engine.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.factory.Nd4j;

class BatchesTest {
  private static final int N = 103;
  private static final int D = 7;
  private static final int K = 4;
  private Dataset dataset;

  /** Row i holds i * 10 + column, so a row tells its example index. */
  @BeforeEach
  void makeDataset() {
    float[] values = new float[N * D];
    int[] labels = new int[N];
    for (int i = 0; i < N; i++) {
      labels[i] = (i * 7) % K;
      for (int j = 0; j < D; j++) {
        values[i * D + j] = i * 10 + j;
      }
    }
    dataset = new Dataset(Nd4j.create(values, new long[] {N, D}, 'c'), labels, K, new long[] {D});
  }

  @AfterEach
  void closeDataset() {
    dataset.features().close();
  }

  /** {@link Dataset#head}: the first n rows and labels; the whole split when n reaches its size. */
  @Test
  void headKeepsTheFirstExamples() {
    Dataset h = dataset.head(5);
    assertThat(h.size()).isEqualTo(5);
    assertThat(h.features().shape()).containsExactly(5, D);
    assertThat(h.labels()).containsExactly(0, 3, 2, 1, 0);
    assertThat(h.features().getFloat(4, 6)).isEqualTo(46f);
    assertThat(h.numClasses()).isEqualTo(K);
    assertThat(h.exampleShape()).containsExactly(D);
    assertThat(dataset.head(N)).isSameAs(dataset);
    assertThat(dataset.head(N + 1)).isSameAs(dataset);
    assertThatThrownBy(() -> dataset.head(0)).isInstanceOf(IllegalArgumentException.class);
  }

  /** Returns the example indices of each batch, checking features, labels and one-hot. */
  private List<int[]> drain(Iterator<Batch> it) {
    List<int[]> out = new ArrayList<>();
    while (it.hasNext()) {
      try (Batch b = it.next()) {
        int[] ids = new int[b.size()];
        assertThat(b.features().shape()).containsExactly(b.size(), D);
        assertThat(b.labels().shape()).containsExactly(b.size(), K);
        assertThat(b.labels().dataType()).isEqualTo(b.features().dataType());
        assertThat(b.features().isAttached()).isFalse();
        assertThat(b.labels().isAttached()).isFalse();
        for (int r = 0; r < b.size(); r++) {
          int id = (int) b.features().getDouble(r, 0) / 10;
          ids[r] = id;
          assertThat(b.features().getDouble(r, D - 1)).isEqualTo(id * 10 + D - 1);
          assertThat(b.classes()[r]).isEqualTo(dataset.labels()[id]);
          for (int c = 0; c < K; c++) {
            assertThat(b.labels().getDouble(r, c)).isEqualTo(c == b.classes()[r] ? 1.0 : 0.0);
          }
        }
        out.add(ids);
      }
    }
    assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
    return out;
  }

  private static int[] concat(List<int[]> batches) {
    return batches.stream().flatMapToInt(java.util.Arrays::stream).toArray();
  }

  @Test
  void shuffledCoversEveryExampleOnceWithAPartialLastBatch() {
    List<int[]> batches = drain(Batches.shuffled(dataset, 10, 5));
    assertThat(batches).hasSize(Batches.numBatches(N, 10)).hasSize(11);
    assertThat(batches.get(10)).hasSize(3);
    int[] all = concat(batches);
    assertThat(all)
        .hasSize(N)
        .containsExactlyInAnyOrder(java.util.stream.IntStream.range(0, N).toArray());
    assertThat(all).isNotEqualTo(java.util.stream.IntStream.range(0, N).toArray());
  }

  @Test
  void sameSeedSameOrderOtherSeedOtherOrder() {
    int[] a = concat(drain(Batches.shuffled(dataset, 16, 99)));
    int[] b = concat(drain(Batches.shuffled(dataset, 16, 99)));
    int[] c = concat(drain(Batches.shuffled(dataset, 16, 100)));
    assertThat(b).containsExactly(a);
    assertThat(c).isNotEqualTo(a);
  }

  @Test
  void sequentialKeepsDatasetOrder() {
    List<int[]> batches = drain(Batches.sequential(dataset, 50));
    assertThat(batches).hasSize(3);
    assertThat(concat(batches)).containsExactly(java.util.stream.IntStream.range(0, N).toArray());
  }

  @Test
  @SuppressWarnings("try")
  void batchesAreCreatedOutsideAnOpenWorkspace() {
    WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20).build();
    try (MemoryWorkspace ws =
        Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "BATCHES_TEST")) {
      try (Batch b = Batches.sequential(dataset, 8).next()) {
        assertThat(b.features().isAttached()).isFalse();
        assertThat(b.labels().isAttached()).isFalse();
      }
    }
  }

  @Test
  void closeFreesBothArrays() {
    Batch b = Batches.sequential(dataset, 8).next();
    b.close();
    assertThat(b.features().wasClosed()).isTrue();
    assertThat(b.labels().wasClosed()).isTrue();
  }

  @Test
  void numBatchesAndArgumentChecks() {
    assertThat(Batches.numBatches(0, 5)).isZero();
    assertThat(Batches.numBatches(10, 5)).isEqualTo(2);
    assertThat(Batches.numBatches(11, 5)).isEqualTo(3);
    assertThat(Batches.numBatches(Integer.MAX_VALUE, Integer.MAX_VALUE)).isEqualTo(1);
    assertThatThrownBy(() -> Batches.numBatches(10, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("batchSize must be > 0, found 0");
    assertThatThrownBy(() -> Batches.shuffled(dataset, -1, 1))
        .hasMessage("batchSize must be > 0, found -1");
  }
}
