package io.llt.engine.spi;

import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataSplits;
import io.llt.engine.data.Dataset;
import io.llt.engine.data.graph.NodeGraph;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A data source that is one graph with a transductive node split (Cora, Cora_ML). Configs whose
 * blocks use graph layers or graph rules train on it with the full-graph trainer; {@link #load}
 * also offers its node features as ordinary splits, so a feature-only baseline (an MLP that never
 * sees the edges) runs on the same nodes with the ordinary trainer.
 */
public interface GraphDataConfig extends DataConfig {
  /**
   * Loads the graph.
   *
   * @throws io.llt.engine.BadInputException when files are missing or malformed
   */
  NodeGraph loadGraph(DataContext context);

  /** Returns the graph's training, validation and test nodes as feature rows, without edges. */
  @Override
  default DataSplits load(DataContext context) {
    NodeGraph g = loadGraph(context);
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      long[] shape = {g.numFeatures()};
      Dataset train =
          new Dataset(Nd4j.pullRows(g.features(), 1, g.train()), g.labelsOf(g.train()),
              g.numClasses(), shape);
      Dataset val =
          new Dataset(Nd4j.pullRows(g.features(), 1, g.validation()), g.labelsOf(g.validation()),
              g.numClasses(), shape);
      Dataset test =
          new Dataset(Nd4j.pullRows(g.features(), 1, g.test()), g.labelsOf(g.test()),
              g.numClasses(), shape);
      g.features().close();
      return new DataSplits(g.name(), train, val, test, g.files());
    }
  }
}
