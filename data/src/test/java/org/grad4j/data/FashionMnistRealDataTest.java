package org.grad4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.grad4j.data.FashionMnist.Split;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real files, when Debian's dataset-fashion-mnist is installed (CI installs it). */
class FashionMnistRealDataTest {
    private static final Path DIR = FashionMnist.SYSTEM_DIRECTORY;

    @BeforeAll
    static void needsTheDebianPackage() {
        assumeTrue(Files.isDirectory(DIR), DIR + " is missing: apt-get install dataset-fashion-mnist");
    }

    @Test
    void bothSplitsLoadVerified() throws IOException {
        ImageDataset train = FashionMnist.read(DIR, Split.TRAIN, true);
        ImageDataset test = FashionMnist.read(DIR, Split.TEST, true);
        assertEquals("ImageDataset[60000, 1, 28, 28]", train.toString());
        assertEquals("ImageDataset[10000, 1, 28, 28]", test.toString());
        assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, Arrays.copyOf(train.labels(), 10));
        assertArrayEquals(new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, Arrays.copyOf(test.labels(), 10));
        float[] x = train.images().toArray();
        double sum = 0;
        double sumSquares = 0;
        for (float v : x) {
            sum += v;
            sumSquares += (double) v * v;
        }
        double mean = sum / x.length;
        double std = Math.sqrt(sumSquares / x.length - mean * mean);
        assertEquals(0.28604, mean, 5e-6);
        assertEquals(0.35302, std, 5e-6);
        int[] perClass = new int[10];
        for (int label : test.labels()) {
            perClass[label]++;
        }
        int[] thousandEach = new int[10];
        Arrays.fill(thousandEach, 1000);
        assertArrayEquals(thousandEach, perClass);
    }

    @Test
    void hashesOfTheDecompressedFilesMatch() throws IOException {
        for (Split split : Split.values()) {
            assertEquals(split.imagesSha256(), Idx.read(DIR.resolve(split.imagesFile() + ".gz"), Idx.IMAGES).sha256());
            assertEquals(split.labelsSha256(), Idx.read(DIR.resolve(split.labelsFile() + ".gz"), Idx.LABELS).sha256());
        }
    }

    @Test
    void theSearchFindsTheSystemDirectory() throws IOException {
        FashionMnist f = new FashionMnist().withDataVariable(null)
                .withCacheDirectory(Path.of("/nonexistent/grad4j-cache")).withDownload(false);
        assertEquals(DIR, f.locate());
    }
}
