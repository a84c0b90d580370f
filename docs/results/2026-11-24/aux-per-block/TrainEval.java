// One-off diagnostic (2026-11-24), not part of llt: on the first BATCHES training batches of 128,
// scores block 0's auxiliary head in inference mode on each batch, then (unless "evalonly") runs
// the rule's local step on it (batch-norm statistics move, MAN pulls E; no optimizer update);
// "nopull" as a fourth argument sets MAN's EMA momentum to 1 first. Usage:
// java -cp "cli/target/llt.jar:cli/target/lib/*" TrainEval.java RUN_DIR 20 [evalonly|steps] [nopull]
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
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Block 0's local task term in train mode (the step's logged term) against its aux head's eval-mode CE and accuracy, same batches. */
public class TrainEval {
  public static void main(String[] a) throws Exception {
    Path run = Path.of(a[0]);
    int batches = Integer.parseInt(a[1]);
    Experiment ex = new Experiment(TypeRegistry.load());
    ExperimentConfig c = ex.load(run.resolve("config.yaml"), List.of()).config();
    DataSplits data = c.data().load(DataContext.standard(run, Experiment.dataType(c), c.seed()));
    try (BlockGraph g = new GraphBuilder(ex.registry()).build(c, c.inputShape(), c.data().numClasses(), Experiment.dataType(c))) {
      Path ck = new RunDirectory(run).latestCheckpoint().orElseThrow();
      Checkpoints.restore(ck, g);
      Block b = g.blocks().get(0);
      if (a.length > 3) {
        Object st = b.state();
        java.lang.reflect.Field bf = st.getClass().getDeclaredField("branch");
        bf.setAccessible(true);
        Object br = bf.get(st);
        java.lang.reflect.Field mf = br.getClass().getDeclaredField("momentum");
        mf.setAccessible(true);
        mf.setDouble(br, 1.0);
        System.out.println("momentum set to " + mf.getDouble(br));
      }
      Iterator<Batch> it = Batches.sequential(data.train(), 128);
      double trainTask = 0, evalCe = 0; long evalOk = 0, n = 0;
      for (int k = 0; k < batches && it.hasNext(); k++) {
        try (Batch batch = it.next()) {
          Labels labels = new Labels(batch.labels(), batch.classes());
          try (MemoryWorkspace ws = b.openWorkspace(); Signals s = new Signals()) {
            BlockInference inf = b.rule().infer(b, b.state(), batch.features(), s);
            INDArray sc = inf.scores().values().iterator().next();
            INDArray lp = Transforms.log(Transforms.softmax(sc, true));
            int[] y = batch.classes();
            long[] pred = Nd4j.argMax(sc, 1).toLongVector();
            for (int i = 0; i < y.length; i++) { evalCe -= lp.getDouble(i, y[i]); if (pred[i] == y[i]) evalOk++; }
            n += y.length;
          }
          try (MemoryWorkspace ws = b.openWorkspace(); Signals s = new Signals()) {
            if (a.length > 2 && a[2].equals("evalonly")) { continue; }
            s.putImage(data.train().pixels().toUnit(batch.features()));
            StepResult r = b.rule().step(b, b.state(), batch.features(), labels, s);
            trainTask += r.terms().getOrDefault("task", Double.NaN) * batch.size();
            if (k == 0) System.out.println("terms " + r.terms() + " loss " + r.loss());
          }
        }
      }
      System.out.printf("block %s: train-mode task CE %.4f; eval-mode CE %.4f, accuracy %.4f (%d examples)%n", b.id(), trainTask / n, evalCe / n, (double) evalOk / n, n);
    }
  }
}
