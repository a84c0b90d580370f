package io.llt.engine.data.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.llt.engine.data.DataContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The real graphs in {@code ../shared/data} (skipped where they are absent) against the statistics
 * the data README and PyTorch Geometric publish.
 */
class GraphRealDataTest {
  private static final Path DATA = Path.of("../../shared/data").toAbsolutePath().normalize();

  private static DataContext context() {
    return new DataContext(
        Path.of("."), Map.of(), Path.of("/nonexistent"), null, false, DataType.FLOAT, 1);
  }

  @Test
  void coraHasThePlanetoidStatistics() {
    assumeTrue(Files.isDirectory(DATA.resolve("cora/text")), "no ../shared/data/cora");
    NodeGraph g = new CoraConfig(DATA.resolve("cora"), null).loadGraph(context());
    assertThat(g.numNodes()).isEqualTo(2708);
    assertThat(g.adjacency().numEdges()).isEqualTo(10556);
    assertThat(new int[] {g.train().length, g.validation().length, g.test().length})
        .containsExactly(140, 500, 1000);
    int[] counts = new int[7];
    for (int y : g.labels()) {
      counts[y]++;
    }
    assertThat(counts).containsExactly(351, 217, 418, 818, 426, 298, 180);
    g.features().close();
  }

  @Test
  void coraMlHasCitationFullsStatisticsAndForwardGnnsSplits() {
    assumeTrue(Files.isDirectory(DATA.resolve("cora_ml/text")), "no ../shared/data/cora_ml");
    NodeGraph g = new CoraMlConfig(DATA.resolve("cora_ml"), null, 0, null, null).loadGraph(context());
    assertThat(g.numNodes()).isEqualTo(2995);
    assertThat(g.numFeatures()).isEqualTo(2879);
    assertThat(g.adjacency().numEdges()).isEqualTo(16316);
    assertThat(new int[] {g.train().length, g.validation().length, g.test().length})
        .containsExactly(1916, 480, 599);
    // the split partitions every node
    int[] all = new int[2995];
    Arrays.stream(g.train()).forEach(v -> all[v]++);
    Arrays.stream(g.validation()).forEach(v -> all[v]++);
    Arrays.stream(g.test()).forEach(v -> all[v]++);
    assertThat(Arrays.stream(all).allMatch(c -> c == 1)).isTrue();
    // binarised then row-normalised: every non-empty row sums to 1
    double[] sums = g.features().sum(1).toDoubleVector();
    assertThat(Arrays.stream(sums).filter(s -> s > 0).allMatch(s -> Math.abs(s - 1) < 1e-4))
        .isTrue();
    g.features().close();
  }
}
