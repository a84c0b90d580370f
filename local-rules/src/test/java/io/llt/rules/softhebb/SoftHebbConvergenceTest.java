package io.llt.rules.softhebb;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.ModelConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.data.Batch;
import io.llt.engine.data.Batches;
import io.llt.engine.data.DataContext;
import io.llt.engine.data.DataSplits;
import io.llt.engine.data.FashionMnistConfig;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.graph.GraphBuilder;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.Signals;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.layers.activation.TriangleLayer;
import io.llt.layers.conv.Conv2dLayer;
import io.llt.layers.conv.Conv2dLayer.PaddingMode;
import io.llt.layers.dense.WeightInit;
import io.llt.layers.norm.BatchNormLayer;
import io.llt.layers.pool.MaxPoolLayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;

/**
 * Spec 3(g) test 3 on real images: the first layer of the preset (batch norm without affine, 96
 * filters 5x5 with reflect padding, radius-25 init, triangle 0.7, max pool 4/2/1) trained by
 * SoftHebb on 3,000 Fashion-MNIST images at batch 10 (300 steps, a twentieth of the epoch). The
 * convergence {@code mean_k | ||w_k|| - 1 |} starts near 24 and must fall in every tenth of the steps
 * and by a fifth overall. The
 * full epoch's final value is in docs/RESULTS.md. Skipped where the Debian package
 * dataset-fashion-mnist is not installed (CI installs it).
 */
@ExtendWith(NativeLeakCheck.class)
class SoftHebbConvergenceTest {
  private static final Path FMNIST = Path.of("/usr/share/datasets/fashion-mnist");

  @Test
  void weightNormsConvergeTowardOneOnFashionMnist() {
    Assumptions.assumeTrue(Files.isDirectory(FMNIST), "dataset-fashion-mnist is not installed");
    List<LayerConfig> layers =
        List.of(
            new BatchNormLayer.Config(false, null, null),
            new Conv2dLayer.Config(96, 5, null, 2, PaddingMode.REFLECT, false, WeightInit.RADIUS, 25.0),
            new TriangleLayer.Config(0.7),
            new MaxPoolLayer.Config(4, 2, 1));
    ExperimentConfig c =
        new ExperimentConfig(
            "softhebb-convergence", 7L,
            new FashionMnistConfig(FMNIST, null, null, 3000, 10),
            new ModelConfig(
                null, null,
                List.of(new BlockConfig("hebb1", layers, new SoftHebbRule.Config(1.0, 0.08, 0.5, true, true), null))),
            new TrainerConfig(Schedule.SIMULTANEOUS, 1, 10, null, null, 0, null, null, null, null, null),
            null);
    Path here = Path.of(".").toAbsolutePath();
    DataSplits data =
        c.data().load(new DataContext(here, java.util.Map.of(), here, FMNIST.getParent(), false, DataType.FLOAT, 7));
    List<Double> convergence = new ArrayList<>();
    try (BlockGraph g =
        new GraphBuilder(TypeRegistry.load()).build(c, c.data().exampleShape(), 10, DataType.FLOAT)) {
      Block b = g.blocks().get(0);
      double initial = SoftHebbRule.convergence(((Conv2dLayer) b.layers().get(1)).neuronWeights());
      Iterator<Batch> it = Batches.shuffled(data.train(), 10, 1);
      while (it.hasNext()) {
        try (Batch batch = it.next();
            Signals signals = new Signals();
            MemoryWorkspace ws = b.openWorkspace()) {
          convergence.add(
              b.rule()
                  .step(b, b.state(), batch.features(), new Labels(batch.labels(), batch.classes()), signals)
                  .loss());
        }
      }
      assertThat(initial).as("radius-25 start").isBetween(20.0, 28.0);
      assertThat(convergence).hasSize(300);
      // falling in expectation: each tenth of the steps ends lower than the tenth before
      double prev = initial;
      for (int t = 0; t < 10; t++) {
        double m = convergence.subList(t * 30, t * 30 + 30).stream().mapToDouble(d -> d).average().orElseThrow();
        assertThat(m).as("mean convergence over steps %d-%d", t * 30 + 1, t * 30 + 30).isLessThan(prev);
        prev = m;
      }
      // measured 24.7 -> 17.2 over these 300 steps; the whole epoch's end value is in docs/RESULTS.md
      assertThat(convergence.get(299)).as("after 300 steps (from %.2f)", initial).isLessThan(0.8 * initial);
    }
  }
}
