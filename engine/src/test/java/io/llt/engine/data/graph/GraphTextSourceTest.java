package io.llt.engine.data.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.BadInputException;
import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataSplits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** The plain-text graph sources on small graphs written here. */
class GraphTextSourceTest {
  @TempDir Path tmp;

  private DataContext context() {
    return new DataContext(
        tmp, Map.of(), tmp.resolve("home"), tmp.resolve("system"), false, DataType.DOUBLE, 1);
  }

  /** A 7-node Cora-format graph (7 classes, one node each) in {@code dir/text}. */
  private Path cora(Path dir) throws IOException {
    Path t = Files.createDirectories(dir.resolve("text"));
    Files.writeString(t.resolve("features.txt"), "0:1 3:1\n2:1\n\n1:1 1432:1\n0:1\n5:1\n6:1\n");
    Files.writeString(t.resolve("labels.txt"), "0\n1\n2\n3\n4\n5\n6\n");
    // a duplicate pair (listed twice, both orders) and a self-loop, which are dropped
    Files.writeString(t.resolve("edges.txt"), "0 1\n1 2\n1 0\n0 1\n3 3\n4 5\n");
    Files.writeString(t.resolve("train.txt"), "0\n1\n");
    Files.writeString(t.resolve("val.txt"), "2\n3\n");
    Files.writeString(t.resolve("test.txt"), "4\n5\n6\n");
    return dir;
  }

  @Test
  void readsACoraStyleGraphWithRowNormalisedFeaturesAndSymmetricEdges() throws IOException {
    NodeGraph g = new CoraConfig(cora(tmp.resolve("cora")), null).loadGraph(context());
    assertThat(g.numNodes()).isEqualTo(7);
    assertThat(g.numFeatures()).isEqualTo(1433);
    assertThat(g.features().getDouble(0, 0)).isEqualTo(0.5);
    assertThat(g.features().getDouble(0, 3)).isEqualTo(0.5);
    assertThat(g.features().getDouble(3, 1432)).isEqualTo(0.5);
    assertThat(g.features().getRow(2).sumNumber().doubleValue()).isEqualTo(0.0);
    // 0-1, 1-2, 4-5 in both directions; the self-loop 3-3 is dropped
    assertThat(g.adjacency().numEdges()).isEqualTo(6);
    assertThat(g.adjacency().inDegree()).containsExactly(1, 2, 1, 0, 1, 1, 0);
    assertThat(g.train()).containsExactly(0, 1);
    assertThat(g.test()).containsExactly(4, 5, 6);
    assertThat(g.files()).hasSize(6);
    g.features().close();
  }

  @Test
  void theNodeSplitsAlsoLoadAsFeatureRowsForAFeatureOnlyBaseline() throws IOException {
    DataSplits d = new CoraConfig(cora(tmp.resolve("cora")), false).load(context());
    assertThat(d.train().size()).isEqualTo(2);
    assertThat(d.validation().labels()).containsExactly(2, 3);
    assertThat(d.test().features().getDouble(0, 0)).isEqualTo(1.0);
    d.train().features().close();
    d.validation().features().close();
    d.test().features().close();
  }

  @Test
  void coraMlBinarisesThenRowNormalisesAndReadsTheChosenSplit() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("data/cora_ml/text"));
    StringBuilder f = new StringBuilder();
    f.append("0:0.25 7:0.5 2878:3.0\n");
    for (int i = 1; i < 4; i++) {
      f.append(i).append(":0.1\n");
    }
    Files.writeString(dir.resolve("features.txt"), f.toString());
    Files.writeString(dir.resolve("labels.txt"), "0\n1\n2\n6\n");
    Files.writeString(dir.resolve("edges.directed.txt"), "0 1\n1 0\n2 3\n");
    Path splits = Files.createDirectories(tmp.resolve("data/forwardgnn-splits/CitationFull-Cora_ML"));
    Files.writeString(splits.resolve("train-split3.txt"), "0\n1\n");
    Files.writeString(splits.resolve("val-split3.txt"), "2\n");
    Files.writeString(splits.resolve("test-split3.txt"), "3\n");
    NodeGraph g = new CoraMlConfig(tmp.resolve("data/cora_ml"), null, 3, null, null).loadGraph(context());
    assertThat(g.features().getDouble(0, 0)).isCloseTo(1.0 / 3, Offset.offset(1e-7));
    assertThat(g.features().getDouble(0, 2878)).isCloseTo(1.0 / 3, Offset.offset(1e-7));
    assertThat(g.features().getDouble(1, 1)).isEqualTo(1.0);
    assertThat(g.adjacency().numEdges()).isEqualTo(4);
    assertThat(g.validation()).containsExactly(2);
    g.features().close();
  }

  @Test
  void aMalformedFeatureLineNamesTheFileAndLine() throws IOException {
    Path dir = cora(tmp.resolve("cora"));
    Files.writeString(dir.resolve("text/features.txt"), "0:1\nseven\n\n\n\n\n\n");
    assertThatThrownBy(() -> new CoraConfig(dir, null).loadGraph(context()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("features.txt:2: 'seven' is not col:value");
  }

  @Test
  void aColumnOutsideTheFeatureWidthIsRejected() throws IOException {
    Path dir = cora(tmp.resolve("cora"));
    Files.writeString(dir.resolve("text/features.txt"), "1433:1\n\n\n\n\n\n\n");
    assertThatThrownBy(() -> new CoraConfig(dir, null).loadGraph(context()))
        .hasMessageContaining("features.txt:1: column 1433 is outside 0..1432");
  }

  @Test
  void anEdgeToAMissingNodeIsRejected() throws IOException {
    Path dir = cora(tmp.resolve("cora"));
    Files.writeString(dir.resolve("text/edges.txt"), "0 1\n2 9\n");
    assertThatThrownBy(() -> new CoraConfig(dir, null).loadGraph(context()))
        .hasMessageContaining("edges.txt:2: node 9 is outside 0..6");
  }

  @Test
  void overlappingSplitsAreRejectedNamingBothFiles() throws IOException {
    Path dir = cora(tmp.resolve("cora"));
    Files.writeString(dir.resolve("text/test.txt"), "1\n4\n");
    assertThatThrownBy(() -> new CoraConfig(dir, null).loadGraph(context()))
        .hasMessageContaining("test.txt lists node 1, which")
        .hasMessageContaining("train.txt also lists");
  }

  @Test
  void aSplitNodeWithoutALabelIsRejected() throws IOException {
    Path dir = cora(tmp.resolve("cora"));
    Files.writeString(dir.resolve("text/labels.txt"), "0\n1\n2\n3\n4\n-1\n6\n");
    assertThatThrownBy(() -> new CoraConfig(dir, null).loadGraph(context()))
        .hasMessageContaining("lists node 5, which has no label (-1)");
  }

  @Test
  void missingCoraMlSplitsSayWhereTheyWereLookedFor() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("cm/text"));
    Files.writeString(dir.resolve("features.txt"), "\n");
    Files.writeString(dir.resolve("labels.txt"), "0\n");
    Files.writeString(dir.resolve("edges.directed.txt"), "");
    assertThatThrownBy(
            () -> new CoraMlConfig(tmp.resolve("cm"), null, null, null, null).loadGraph(context()))
        .hasMessageContaining("split files not found")
        .hasMessageContaining("set data.splits");
  }

  @Test
  void aSplitOutsideTheFiveIsAConfigError() {
    assertThatThrownBy(() -> new CoraMlConfig(null, null, 5, null, null))
        .hasMessageContaining("0..4");
  }
}
