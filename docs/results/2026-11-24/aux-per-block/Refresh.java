// One-off diagnostic (2026-11-24), not part of llt: restores a run, runs K local steps of block 0
// (training-mode forward: batch-norm running statistics move; no optimizer update) on training
// batches from `skip` on, then scores block 0's auxiliary head on the test split in inference mode.
// Run from a checkout built with mvn install: java -cp "cli/target/llt.jar:cli/target/lib/*" Refresh.java RUN_DIR 200 0,5,20,60
import io.llt.engine.config.*;
import io.llt.engine.data.*;
import io.llt.engine.graph.*;
import io.llt.engine.spi.*;
import io.llt.engine.train.*;
import java.nio.file.*;
import java.util.*;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Block 0's aux-head test accuracy (eval mode) after K local steps without updates, starting at training batch `skip`. */
public class Refresh {
  public static void main(String[] a) throws Exception {
    Path run = Path.of(a[0]);
    int skip = Integer.parseInt(a[1]);
    int[] ks = Arrays.stream(a[2].split(",")).mapToInt(Integer::parseInt).toArray();
    Experiment ex = new Experiment(TypeRegistry.load());
    ExperimentConfig c = ex.load(run.resolve("config.yaml"), List.of()).config();
    DataSplits data = c.data().load(DataContext.standard(run, Experiment.dataType(c), c.seed()));
    try (BlockGraph g = new GraphBuilder(ex.registry()).build(c, c.inputShape(), c.data().numClasses(), Experiment.dataType(c))) {
      Checkpoints.restore(new RunDirectory(run).latestCheckpoint().orElseThrow(), g);
      Block b = g.blocks().get(0);
      Iterator<Batch> it = Batches.sequential(data.train(), 128);
      for (int i = 0; i < skip; i++) it.next().close();
      int done = 0;
      for (int k : ks) {
        for (; done < k; done++) {
          try (Batch batch = it.next(); MemoryWorkspace ws = b.openWorkspace(); Signals s = new Signals()) {
            if (b.rule().readsInputImage()) s.putImage(data.train().pixels().toUnit(batch.features()));
            b.rule().step(b, b.state(), batch.features(), new Labels(batch.labels(), batch.classes()), s);
          }
        }
        long ok = 0;
        Iterator<Batch> t = Batches.sequential(data.test(), 500);
        while (t.hasNext()) {
          try (Batch batch = t.next(); MemoryWorkspace ws = b.openWorkspace(); Signals s = new Signals()) {
            INDArray sc = b.rule().infer(b, b.state(), batch.features(), s).scores().get("scores");
            long[] p = Nd4j.argMax(sc, 1).toLongVector();
            for (int i = 0; i < p.length; i++) if (p[i] == batch.classes()[i]) ok++;
          }
        }
        System.out.printf("%s skip %d, %d refresh steps: test accuracy of block %s's head %.4f%n", run.getFileName(), skip, k, b.id(), ok / (double) data.test().size());
      }
    }
  }
}
