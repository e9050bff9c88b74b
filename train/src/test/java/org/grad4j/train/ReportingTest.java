package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportingTest {
    private static final EpochMetrics E1 = new EpochMetrics(1, 0.65, 0.77, 0.81, 29770.0, 2.0);
    private static final EpochMetrics E2 = new EpochMetrics(2, 0.348, 0.873, 0.803, 29770.4, 1.5);

    @Test
    void jsonLineHasTheDocumentedFields() {
        assertEquals("{\"epoch\":1,\"train_loss\":0.65,\"train_acc\":0.77,\"test_acc\":0.81,"
                + "\"examples_per_sec\":29770.0,\"seconds\":2.0,\"gc_seconds\":null}", E1.toJson());
        assertEquals(E1, EpochMetrics.fromJson(E1.toJson()));
        EpochMetrics withGc = new EpochMetrics(1, 0.65, 0.77, 0.81, 29770.0, 2.0, 0.04);
        assertTrue(withGc.toJson().endsWith(",\"seconds\":2.0,\"gc_seconds\":0.04}"), withGc.toJson());
        assertEquals(withGc, EpochMetrics.fromJson(withGc.toJson()));
        assertEquals("epoch 1  loss 0.650  train acc 0.770  test acc 0.810  29770 ex/s  gc 0.04 s", withGc.toLine());
        // Files written before the GC time was recorded still load.
        assertTrue(Double.isNaN(EpochMetrics.fromJson("{\"epoch\":1,\"train_loss\":1,\"train_acc\":1,"
                + "\"test_acc\":1,\"examples_per_sec\":1,\"seconds\":1}").gcSeconds()));
        EpochMetrics noTest = new EpochMetrics(3, 0.1, 0.9, Double.NaN, 1, 1);
        assertTrue(noTest.toJson().contains("\"test_acc\":null"));
        assertTrue(Double.isNaN(EpochMetrics.fromJson(noTest.toJson()).testAccuracy()));
    }

    @Test
    void aRecalibratedEpochRecordsBothAccuraciesAndOldLinesStillLoad() {
        EpochMetrics recalibrated = E1.withRecalibratedTestAccuracy(0.85);
        assertEquals(0.81, recalibrated.testAccuracy());
        assertEquals("{\"epoch\":1,\"train_loss\":0.65,\"train_acc\":0.77,\"test_acc\":0.81,"
                + "\"examples_per_sec\":29770.0,\"seconds\":2.0,\"gc_seconds\":null,\"test_acc_recalibrated\":0.85}",
                recalibrated.toJson());
        assertEquals(recalibrated, EpochMetrics.fromJson(recalibrated.toJson()));
        assertTrue(Double.isNaN(EpochMetrics.fromJson(E1.toJson()).recalibratedTestAccuracy()));
    }

    @Test
    void jsonLinesAreReadAsJsonNotAsCommaSeparatedText() {
        // What another tool writes for the same metrics: spaces after ':' and ',', another field
        // order, a field grad4j does not know that holds commas of its own.
        EpochMetrics m = EpochMetrics.fromJson("{\"epoch\": 2, \"note\": \"a, b\", \"tags\": [1, 2],"
                + " \"seconds\": 2.0, \"train_loss\": 0.348, \"train_acc\": 0.873, \"test_acc\": null,"
                + " \"examples_per_sec\": 2.977e4, \"gc_seconds\": 0.04}");
        assertEquals(new EpochMetrics(2, 0.348, 0.873, Double.NaN, 29770.0, 2.0, 0.04), m);
    }

    @Test
    void badJsonLinesAreNamed() {
        assertEquals("metrics: not a JSON object: nope (unexpected character 'n', expected a value at character 0)",
                assertThrows(IllegalArgumentException.class, () -> EpochMetrics.fromJson("nope")).getMessage());
        assertEquals("metrics: not a JSON object but an array: [1, 2]",
                assertThrows(IllegalArgumentException.class, () -> EpochMetrics.fromJson("[1, 2]")).getMessage());
        assertEquals("metrics: field 'train_loss' is a string, expected a number or null, in {\"epoch\":1,"
                + "\"train_loss\":\"0.5\"}", assertThrows(IllegalArgumentException.class,
                        () -> EpochMetrics.fromJson("{\"epoch\":1,\"train_loss\":\"0.5\"}")).getMessage());
        assertEquals("metrics: field 'epoch' is 1.5, expected a positive integer, in {\"epoch\":1.5}",
                assertThrows(IllegalArgumentException.class, () -> EpochMetrics.fromJson("{\"epoch\":1.5}")).getMessage());
        assertEquals("metrics: missing field 'seconds' in {\"epoch\":1,\"train_loss\":1,\"train_acc\":1,"
                + "\"test_acc\":1,\"examples_per_sec\":1}", assertThrows(IllegalArgumentException.class,
                        () -> EpochMetrics.fromJson("{\"epoch\":1,\"train_loss\":1,\"train_acc\":1,\"test_acc\":1,"
                                + "\"examples_per_sec\":1}")).getMessage());
        // CheckpointFuzzTest's bad-history seed: a field name of one quote was once an index error.
        String e = assertThrows(IllegalArgumentException.class, () -> EpochMetrics.fromJson("{\":1}")).getMessage();
        assertTrue(e.startsWith("metrics: not a JSON object: {\":1} ("), e);
    }

    @Test
    void consoleLinePerEpoch() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConsoleReporter r = new ConsoleReporter(new PrintStream(buf, true, StandardCharsets.UTF_8), false);
        r.onBatchEnd(3, 1, 10, 0.5, 0.5);
        r.onEpochEnd(E2, List.of(E1, E2));
        assertEquals("epoch 2  loss 0.348  train acc 0.873  test acc 0.803  29770 ex/s" + System.lineSeparator(),
                buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void progressBarRedrawsInPlaceOnlyWhenItMoves() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConsoleReporter r = new ConsoleReporter(new PrintStream(buf, true, StandardCharsets.UTF_8), true);
        for (int b = 1; b <= 300; b++) {
            r.onBatchEnd(1, b, 300, 0.5, 0.75);
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        assertEquals(31, s.chars().filter(c -> c == '\r').count(), "30 moves of the bar plus the final batch");
        assertTrue(s.endsWith("\repoch 1 [" + "=".repeat(30) + "] 300/300  loss 0.500  acc 0.750"), s);
        r.onEpochEnd(E1, List.of(E1));
        assertTrue(buf.toString(StandardCharsets.UTF_8).endsWith("\repoch 1  loss 0.650  train acc 0.770  "
                + "test acc 0.810  29770 ex/s" + System.lineSeparator()));
    }

    @Test
    void metricsFileIsRewrittenWholeAfterEachEpoch(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.jsonl");
        MetricsFile m = new MetricsFile(file);
        m.onEpochEnd(E1, List.of(E1));
        assertEquals(List.of(E1.toJson()), Files.readAllLines(file));
        m.onEpochEnd(E2, List.of(E1, E2));
        assertEquals(List.of(E1, E2), MetricsFile.read(file));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }

    @Test
    void metricsFileDoesNotCreateItsDirectoryAndSaysSoWhenTrainingStarts(@TempDir Path dir) {
        Path file = dir.resolve("typo").resolve("m.jsonl");
        MetricsFile m = new MetricsFile(file);
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class,
                () -> m.onTrainingStart(1, 10, 100));
        assertEquals("metrics: cannot write " + file + ": directory " + file.getParent()
                + " does not exist (it is not created)", e.getMessage());
        e = assertThrows(java.io.UncheckedIOException.class, () -> m.onEpochEnd(E1, List.of(E1)));
        assertEquals("metrics: cannot write " + file + ": directory " + file.getParent()
                + " does not exist (it is not created)", e.getMessage());
        assertTrue(!Files.exists(file.getParent()));
    }

    @Test
    void metricsFileRefusesADirectoryWhenTrainingStarts(@TempDir Path dir) throws Exception {
        Path file = Files.createDirectory(dir.resolve("m.jsonl"));
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class,
                () -> new MetricsFile(file).onTrainingStart(1, 10, 100));
        assertEquals("metrics: cannot write " + file + ": is a directory, expected a regular file", e.getMessage());
    }

    @Test
    void plotRefusesABadPathWhenTrainingStarts(@TempDir Path dir) throws Exception {
        TrainingPlot plot = new TrainingPlot(dir, "curves");
        Files.createDirectory(plot.svg());
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class,
                () -> plot.onTrainingStart(1, 10, 100));
        assertEquals("plot: cannot write " + plot.svg() + ": is a directory, expected a regular file", e.getMessage());
        assertTrue(!Files.exists(plot.png()), "a check writes nothing");
    }

    @Test
    void badMetricsFileLineIsNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.jsonl");
        Files.writeString(file, E1.toJson() + "\ngarbage\n");
        assertEquals("m.jsonl: line 2: metrics: not a JSON object: garbage (unexpected character 'g', expected a value at character 0)",
                assertThrows(IllegalArgumentException.class, () -> MetricsFile.read(file)).getMessage());
    }

    @Test
    void plotWritesPngAndSvg(@TempDir Path dir) throws Exception {
        TrainingPlot plot = new TrainingPlot(dir, "curves");
        plot.onEpochEnd(E2, List.of(E1, E2));
        byte[] png = Files.readAllBytes(plot.png());
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        String svg = Files.readString(plot.svg());
        // VectorGraphics2D draws text as outlines, so check the structure rather than the labels.
        assertTrue(svg.contains("<svg") && svg.contains("viewBox=\"0 0 640 420\""), svg.substring(0, 300));
        assertTrue(svg.contains("<path"), "the curves are drawn");
    }
}
