package org.grad4j.data;

import static org.grad4j.data.Fixtures.gzip;
import static org.grad4j.data.Fixtures.idx;
import static org.grad4j.data.Fixtures.images;
import static org.grad4j.data.Fixtures.labels;
import static org.grad4j.data.Fixtures.randomLabels;
import static org.grad4j.data.Fixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.grad4j.data.FashionMnist.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    @TempDir
    Path tmp;

    private final Random rng = new Random(345);

    /** A configuration that only looks where a test says: no environment, no system directory, no network. */
    private FashionMnist isolated() {
        return new FashionMnist().withDataVariable(null).withCacheDirectory(tmp.resolve("cache"))
                .withSystemDirectory(tmp.resolve("system")).withDownload(false);
    }

    /** Writes a small fake Fashion-MNIST: {@code train} and {@code test} images of 28x28. */
    private void writeSet(Path dir, int train, int test, boolean gz) throws IOException {
        String suffix = gz ? ".gz" : "";
        byte[][] contents = {images(train, 28, 28, rng), randomLabels(train, 10, rng), images(test, 28, 28, rng),
            randomLabels(test, 10, rng)};
        List<IdxFile> files = FashionMnist.FILES;
        for (int i = 0; i < 4; i++) {
            write(dir, files.get(i).name() + suffix, gz ? gzip(contents[i]) : contents[i]);
        }
    }

    @Test
    void classes() {
        assertEquals(List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                "Bag", "Ankle boot"), FashionMnist.CLASSES);
        assertEquals("Ankle boot", FashionMnist.className(9));
        assertEquals("label: actual 10, expected 0 to 9",
                assertThrows(IllegalArgumentException.class, () -> FashionMnist.className(10)).getMessage());
        assertEquals("label: actual -1, expected 0 to 9",
                assertThrows(IllegalArgumentException.class, () -> FashionMnist.className(-1)).getMessage());
    }

    @Test
    void splits() {
        assertEquals(60_000, Split.TRAIN.size());
        assertEquals("t10k-images-idx3-ubyte", Split.TEST.imagesFile());
        assertEquals("train-labels-idx1-ubyte", Split.TRAIN.labelsFile());
        assertEquals("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", Split.TEST.imagesSha256());
        assertEquals("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", Split.TRAIN.labelsSha256());
    }

    @Test
    void searchPathOrder() {
        Path given = tmp.resolve("given");
        Path env = tmp.resolve("env");
        // A named directory is the only place looked at; the one given wins over GRAD4J_DATA.
        assertEquals(List.of(given, given.resolve("FashionMNIST/raw")),
                isolated().withDirectory(given).withDataVariable(env.toString()).searchPath());
        assertEquals(List.of(env, env.resolve("FashionMNIST/raw")),
                isolated().withDataVariable(env.toString()).searchPath());
        // Unset and blank variables name nothing.
        assertEquals(List.of(tmp.resolve("cache"), tmp.resolve("cache/FashionMNIST/raw"), tmp.resolve("system")),
                isolated().withDataVariable(" ").searchPath());
    }

    @Test
    void locateTakesTheFirstCompleteDirectoryInOrder() throws IOException {
        Path cache = tmp.resolve("cache");
        Path system = tmp.resolve("system");
        FashionMnist f = isolated();
        writeSet(system, 3, 2, true);
        assertEquals(system, f.locate());
        writeSet(cache.resolve("FashionMNIST/raw"), 3, 2, false);
        assertEquals(cache.resolve("FashionMNIST/raw"), f.locate());
        writeSet(cache, 3, 2, true);
        assertEquals(cache, f.locate());
        // An incomplete directory on the search path is passed over.
        Files.delete(cache.resolve("t10k-labels-idx1-ubyte.gz"));
        assertEquals(cache.resolve("FashionMNIST/raw"), f.locate());
    }

    @Test
    void aNamedDirectoryOrItsTorchvisionSubdirectoryIsUsed() throws IOException {
        Path given = tmp.resolve("given");
        Path env = tmp.resolve("env");
        writeSet(tmp.resolve("system"), 3, 2, true);
        writeSet(given.resolve("FashionMNIST/raw"), 3, 2, true);
        writeSet(env, 3, 2, true);
        assertEquals(given.resolve("FashionMNIST/raw"),
                isolated().withDirectory(given).withDataVariable(env.toString()).locate());
        writeSet(given, 3, 2, true);
        assertEquals(given, isolated().withDirectory(given).locate());
        assertEquals(env, isolated().withDataVariable(env.toString()).locate());
    }

    /** The message {@code locate} and {@code load} give for a named directory that cannot be used. */
    private String refusal(FashionMnist f) {
        String message = assertThrows(DataNotFoundException.class, f::locate).getMessage();
        assertEquals(message, assertThrows(DataNotFoundException.class, () -> f.load(Split.TRAIN)).getMessage());
        return message;
    }

    private static final String EXPECTED = "; expected the four Fashion-MNIST files (.gz or not) in it or in its "
            + "FashionMNIST/raw";

    @Test
    void aMissingNamedDirectoryIsRefusedNotPassedOver() throws IOException {
        writeSet(tmp.resolve("system"), 3, 2, true);
        Path given = tmp.resolve("given");
        assertEquals(given + " (the directory given): does not exist" + EXPECTED,
                refusal(isolated().withDirectory(given)));
        assertEquals(given + " (GRAD4J_DATA): does not exist" + EXPECTED,
                refusal(isolated().withDataVariable(given.toString())));
    }

    @Test
    void aRegularFileAsTheNamedDirectoryIsRefused() throws IOException {
        writeSet(tmp.resolve("system"), 3, 2, true);
        Path file = write(tmp, "file", new byte[0]);
        assertEquals(file + " (the directory given): not a directory" + EXPECTED,
                refusal(isolated().withDirectory(file)));
    }

    @Test
    void anEmptyNamedDirectoryIsRefused() throws IOException {
        writeSet(tmp.resolve("system"), 3, 2, true);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(empty + " (the directory given): empty" + EXPECTED, refusal(isolated().withDirectory(empty)));
    }

    @Test
    void anIncompleteNamedDirectoryIsRefusedWithWhatIsMissing() throws IOException {
        writeSet(tmp.resolve("system"), 3, 2, true);
        Path given = tmp.resolve("given");
        writeSet(given, 3, 2, true);
        Files.delete(given.resolve("t10k-labels-idx1-ubyte.gz"));
        Files.delete(given.resolve("train-images-idx3-ubyte.gz"));
        assertEquals(given + " (the directory given): missing train-images-idx3-ubyte[.gz], "
                + "t10k-labels-idx1-ubyte[.gz]" + EXPECTED, refusal(isolated().withDirectory(given)));
        // Its torchvision subdirectory, when there, is described too.
        writeSet(given.resolve("FashionMNIST/raw"), 3, 2, false);
        Files.delete(given.resolve("FashionMNIST/raw/train-labels-idx1-ubyte"));
        assertEquals(given + " (the directory given): missing train-images-idx3-ubyte[.gz], "
                + "t10k-labels-idx1-ubyte[.gz]; FashionMNIST/raw: missing train-labels-idx1-ubyte[.gz]" + EXPECTED,
                refusal(isolated().withDirectory(given)));
    }

    @Test
    void aBrokenLinkInPlaceOfADataFileIsRefused() throws IOException {
        writeSet(tmp.resolve("system"), 3, 2, true);
        Path given = tmp.resolve("given");
        writeSet(given, 3, 2, true);
        Path link = given.resolve("train-labels-idx1-ubyte.gz");
        Files.delete(link);
        Files.createSymbolicLink(link, tmp.resolve("gone.gz"));
        assertEquals(given + " (the directory given): train-labels-idx1-ubyte.gz is a broken symbolic link to "
                + tmp.resolve("gone.gz") + EXPECTED, refusal(isolated().withDirectory(given)));
    }

    @Test
    void aBrokenLinkAsTheNamedDirectoryIsRefused() throws IOException {
        writeSet(tmp.resolve("system"), 3, 2, true);
        Path link = Files.createSymbolicLink(tmp.resolve("data"), tmp.resolve("unmounted"));
        assertEquals(link + " (the directory given): a broken symbolic link to " + tmp.resolve("unmounted")
                + EXPECTED, refusal(isolated().withDirectory(link)));
    }

    @Test
    void aDirectoryInPlaceOfADataFileIsRefused() throws IOException {
        writeSet(tmp.resolve("system"), 3, 2, true);
        Path given = tmp.resolve("given");
        writeSet(given, 3, 2, true);
        Files.createDirectories(given.resolve("t10k-images-idx3-ubyte"));
        assertEquals(given + " (the directory given): t10k-images-idx3-ubyte is not a regular file" + EXPECTED,
                refusal(isolated().withDirectory(given)));
    }

    @Test
    void loadsScaledPixelsAndLabelsFromGzipOrPlainFiles() throws IOException {
        byte[] pixels = new byte[2 * 28 * 28];
        rng.nextBytes(pixels);
        pixels[0] = (byte) 255;
        pixels[1] = 0;
        byte[] imageFile = idx(Idx.IMAGES, new long[] {2, 28, 28}, pixels);
        byte[] labelFile = labels((byte) 9, (byte) 4);
        Path gz = tmp.resolve("gz");
        write(gz, "t10k-images-idx3-ubyte.gz", gzip(imageFile));
        write(gz, "t10k-labels-idx1-ubyte.gz", gzip(labelFile));
        Path plain = tmp.resolve("plain");
        write(plain, "t10k-images-idx3-ubyte", imageFile);
        write(plain, "t10k-labels-idx1-ubyte", labelFile);
        for (Path dir : List.of(gz, plain)) {
            ImageDataset d = FashionMnist.read(dir, Split.TEST, false);
            assertEquals("ImageDataset[2, 1, 28, 28]", d.toString());
            assertArrayEquals(new int[] {9, 4}, d.labels());
            float[] x = d.images().toArray();
            assertEquals(1f, x[0]);
            assertEquals(0f, x[1]);
            for (int i = 0; i < pixels.length; i++) {
                assertEquals((pixels[i] & 0xFF) / 255f, x[i]);
            }
        }
    }

    @Test
    void gzipIsPreferredWhenBothFormsExist() throws IOException {
        Path dir = tmp.resolve("both");
        write(dir, "t10k-images-idx3-ubyte.gz", gzip(images(2, 28, 28, rng)));
        write(dir, "t10k-labels-idx1-ubyte.gz", gzip(labels((byte) 1, (byte) 2)));
        write(dir, "t10k-images-idx3-ubyte", new byte[] {1});
        write(dir, "t10k-labels-idx1-ubyte", new byte[] {1});
        assertEquals(2, FashionMnist.read(dir, Split.TEST, false).size());
    }

    @Test
    void loadThroughTheSearch() throws IOException {
        writeSet(tmp.resolve("cache"), 5, 3, true);
        FashionMnist f = isolated().withVerification(false);
        assertEquals(5, f.load(Split.TRAIN).size());
        assertEquals(3, f.load(Split.TEST).size());
    }

    @Test
    void verificationNamesTheFileAndBothHashes() throws IOException {
        Path dir = tmp.resolve("fake");
        writeSet(dir, 3, 2, true);
        byte[] labels = labels((byte) 1, (byte) 2);
        write(dir, "t10k-labels-idx1-ubyte.gz", gzip(labels));
        assertEquals("t10k-labels-idx1-ubyte.gz: sha256 of the decompressed IDX: actual " + Fixtures.sha256(labels)
                + " != expected 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                assertThrows(InvalidDatasetException.class, () -> FashionMnist.read(dir, Split.TEST, true))
                        .getMessage());
        assertEquals(2, FashionMnist.read(dir, Split.TEST, false).size());
    }

    @Test
    void imageAndLabelCountsMustAgree() throws IOException {
        Path dir = tmp.resolve("counts");
        write(dir, "t10k-images-idx3-ubyte.gz", gzip(images(5, 28, 28, rng)));
        write(dir, "t10k-labels-idx1-ubyte.gz", gzip(randomLabels(4, 10, rng)));
        assertEquals("t10k-images-idx3-ubyte.gz holds 5 images but t10k-labels-idx1-ubyte.gz holds 4 labels",
                assertThrows(InvalidDatasetException.class, () -> FashionMnist.read(dir, Split.TEST, false))
                        .getMessage());
    }

    @Test
    void moreLabelsThanTheSplitHoldsAreRefusedFromTheHeader() throws IOException {
        Path dir = tmp.resolve("many");
        write(dir, "t10k-images-idx3-ubyte.gz", gzip(images(2, 28, 28, rng)));
        // 20 MB of labels in a 20 KB gzip: complete and well-formed, but no test split holds them.
        write(dir, "t10k-labels-idx1-ubyte.gz", gzip(idx(Idx.LABELS, new long[] {20_000_000}, new byte[20_000_000])));
        long before = Fixtures.allocatedBytes();
        assertEquals("t10k-labels-idx1-ubyte.gz: declares 20000000 labels, expected at most 10000 "
                + "(Fashion-MNIST's test split)",
                assertThrows(InvalidDatasetException.class, () -> FashionMnist.read(dir, Split.TEST, false))
                        .getMessage());
        long after = Fixtures.allocatedBytes();
        assumeTrue(before >= 0, "this JVM does not count allocated bytes");
        assertTrue(after - before < (8 << 20), "allocated " + (after - before) + " bytes");
    }

    @Test
    void moreImagesThanTheSplitHoldsAreRefusedFromTheHeader() throws IOException {
        Path dir = tmp.resolve("many");
        write(dir, "train-images-idx3-ubyte", idx(Idx.IMAGES, new long[] {60_001, 28, 28}, new byte[0]));
        write(dir, "train-labels-idx1-ubyte", randomLabels(2, 10, rng));
        assertEquals("train-images-idx3-ubyte: declares 60001 images, expected at most 60000 "
                + "(Fashion-MNIST's train split)",
                assertThrows(InvalidDatasetException.class, () -> FashionMnist.read(dir, Split.TRAIN, true))
                        .getMessage());
    }

    @Test
    void labelsMustBeBelowTen() throws IOException {
        Path dir = tmp.resolve("labels");
        write(dir, "train-images-idx3-ubyte.gz", gzip(images(5, 28, 28, rng)));
        write(dir, "train-labels-idx1-ubyte.gz", gzip(labels((byte) 0, (byte) 9, (byte) 3, (byte) 10, (byte) 1)));
        assertEquals("train-labels-idx1-ubyte.gz: label at index 3: actual 10, expected 0 to 9",
                assertThrows(InvalidDatasetException.class, () -> FashionMnist.read(dir, Split.TRAIN, false))
                        .getMessage());
    }

    @Test
    void imagesMustBe28x28() throws IOException {
        Path dir = tmp.resolve("dims");
        write(dir, "t10k-images-idx3-ubyte.gz", gzip(images(2, 32, 28, rng)));
        write(dir, "t10k-labels-idx1-ubyte.gz", gzip(labels((byte) 1, (byte) 2)));
        assertEquals("t10k-images-idx3-ubyte.gz: image size: actual 32x28 != expected 28x28",
                assertThrows(InvalidDatasetException.class, () -> FashionMnist.read(dir, Split.TEST, false))
                        .getMessage());
    }

    @Test
    void labelsFileInPlaceOfImages() throws IOException {
        Path dir = tmp.resolve("swapped");
        write(dir, "train-images-idx3-ubyte.gz", gzip(labels((byte) 1)));
        write(dir, "train-labels-idx1-ubyte.gz", gzip(labels((byte) 1)));
        assertEquals("train-images-idx3-ubyte.gz: magic: actual 0x00000801 != expected 0x00000803",
                assertThrows(IdxFormatException.class, () -> FashionMnist.read(dir, Split.TRAIN, false))
                        .getMessage());
    }

    @Test
    void readFromADirectoryWithoutTheFiles() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(dir + ": missing t10k-images-idx3-ubyte[.gz]",
                assertThrows(DataNotFoundException.class, () -> FashionMnist.read(dir, Split.TEST, true))
                        .getMessage());
    }

    @Test
    void notFoundListsThePlacesAndTheWaysToGetTheData() throws IOException {
        Path cache = tmp.resolve("cache");
        write(cache, "train-images-idx3-ubyte.gz", new byte[0]);
        write(cache, "t10k-labels-idx1-ubyte", new byte[0]);
        Files.createSymbolicLink(cache.resolve("FashionMNIST"), tmp.resolve("gone"));
        write(tmp, "system", new byte[0]);
        FashionMnist f = isolated();
        DataNotFoundException e = assertThrows(DataNotFoundException.class, f::locate);
        assertEquals("Fashion-MNIST not found. Searched, in order:\n"
                + "  " + cache + " (the cache): missing train-labels-idx1-ubyte[.gz], "
                + "t10k-images-idx3-ubyte[.gz]\n"
                + "  " + cache + "/FashionMNIST/raw (torchvision layout under the cache): does not exist\n"
                + "  " + tmp.resolve("system") + " (Debian package dataset-fashion-mnist): not a directory\n"
                + "  (GRAD4J_DATA is not set)\n"
                + "Download from http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/: switched off\n"
                + "Get the data in one of three ways:\n"
                + "  apt-get install dataset-fashion-mnist (Debian and Ubuntu; installs "
                + "/usr/share/datasets/fashion-mnist)\n"
                + "  GRAD4J_DATA=/path/to/dir, a directory holding the four files (.gz or not) or a torchvision "
                + "root holding FashionMNIST/raw\n"
                + "  network access to http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/ (the files are "
                + "cached in " + cache + ")", e.getMessage());
        assertNull(e.getCause());
        // Loading goes through the same search.
        assertEquals(e.getMessage(), assertThrows(DataNotFoundException.class, () -> f.load(Split.TEST)).getMessage());
    }

    @Test
    void notFoundSaysWhenTheVariableIsUnset() {
        String message = assertThrows(DataNotFoundException.class, () -> isolated().locate()).getMessage();
        String[] lines = message.split("\n");
        assertEquals("  (GRAD4J_DATA is not set)", lines[4]);
    }

    @Test
    void mirrorMustBeHttp() {
        assertEquals("mirror: actual ftp://example.org/, expected an http or https URI",
                assertThrows(IllegalArgumentException.class,
                        () -> new FashionMnist().withMirror(URI.create("ftp://example.org/"))).getMessage());
        assertEquals("mirror: actual data, expected an http or https URI",
                assertThrows(IllegalArgumentException.class,
                        () -> new FashionMnist().withMirror(URI.create("data"))).getMessage());
    }

    @Test
    void filesTableMatchesTheSplits() {
        assertEquals(Arrays.asList(Split.TRAIN.images(), Split.TRAIN.labels(), Split.TEST.images(),
                Split.TEST.labels()), FashionMnist.FILES);
        assertEquals(47_040_016L, Split.TRAIN.images().bytes());
    }
}
