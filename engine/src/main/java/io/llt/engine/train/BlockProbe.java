package io.llt.engine.train;

import io.llt.engine.data.Batch;
import io.llt.engine.data.Batches;
import io.llt.engine.data.Dataset;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.spi.BlockInference;
import io.llt.engine.spi.Labels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Each block's own accuracy ({@code llt eval --per-block}): runs the chain's inference with every
 * block's {@link io.llt.engine.spi.LocalRule#probe} instead of {@code infer}, and counts, per
 * block and per score the rule reports, the examples whose argmax is the label. Blocks that report
 * no score are listed with no figures. The network's own readouts are {@link Evaluator}'s.
 */
public final class BlockProbe {
  private BlockProbe() {}

  /**
   * One block's accuracies.
   *
   * @param block the block's id
   * @param accuracy by score name, fractions in [0, 1], in the order the rule reported them;
   *     empty when the block scores nothing
   */
  public record BlockAccuracy(String block, Map<String, Double> accuracy) {}

  /**
   * Probes every block on the first {@code examples} examples of {@code data}.
   *
   * @throws IllegalArgumentException when {@code examples} is not positive
   */
  public static List<BlockAccuracy> measure(
      BlockGraph graph, Dataset data, int batchSize, int examples) {
    Dataset head = data.head(examples);
    List<Block> blocks = graph.blocks();
    List<Map<String, Long>> correct = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      correct.add(new LinkedHashMap<>());
    }
    Iterator<Batch> it = Batches.sequential(head, batchSize);
    while (it.hasNext()) {
      try (Batch batch = it.next()) {
        probeBatch(graph, batch, correct);
      }
    }
    List<BlockAccuracy> out = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      Map<String, Double> acc = new LinkedHashMap<>();
      correct.get(i).forEach((k, v) -> acc.put(k, (double) v / head.size()));
      out.add(new BlockAccuracy(blocks.get(i).id(), acc));
    }
    return out;
  }

  private static void probeBatch(BlockGraph graph, Batch batch, List<Map<String, Long>> correct) {
    Labels labels = new Labels(batch.labels(), batch.classes());
    Evaluator.traverse(
        graph,
        0,
        graph.blocks().size(),
        batch.features(),
        null,
        (b, i, x, signals) -> {
          BlockInference inf = b.rule().probe(b, b.state(), x, labels, signals);
          for (var e : inf.scores().entrySet()) {
            correct.get(i).merge(e.getKey(), countCorrect(e.getValue(), batch.classes()), Long::sum);
          }
          return inf;
        });
  }

  private static long countCorrect(INDArray scores, int[] classes) {
    if (scores.rank() != 2 || scores.size(0) != classes.length) {
      throw new IllegalStateException(
          "a probe score must be [batch = " + classes.length + ", classes], found "
              + Arrays.toString(scores.shape()));
    }
    return Evaluator.countCorrect(scores, classes);
  }
}
