package io.llt.cli.command;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunPathTest {
  @TempDir Path tmp;

  /** Runs of one config started at the same moment each claim a directory of their own. */
  @Test
  void simultaneousRunsClaimDistinctDirectories() throws Exception {
    Path runs = tmp.resolve("runs");
    int n = 8;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Path>> claims = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        claims.add(
            pool.submit(
                () -> {
                  go.await();
                  return TrainCommand.claimRunPath(runs, "same-config");
                }));
      }
      go.countDown();
      HashSet<Path> paths = new HashSet<>();
      for (Future<Path> f : claims) {
        Path p = f.get();
        assertThat(p).isDirectory().hasParent(runs);
        assertThat(p.getFileName().toString()).startsWith("same-config-");
        paths.add(p);
      }
      assertThat(paths).hasSize(n);
      try (var listed = Files.list(runs)) {
        assertThat(listed.count()).isEqualTo(n);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
