package org.grad4j.data;

import static org.grad4j.data.Fixtures.concat;
import static org.grad4j.data.Fixtures.gzip;
import static org.grad4j.data.Fixtures.idx;
import static org.grad4j.data.Fixtures.labels;
import static org.grad4j.data.Fixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir
    Path dir;

    private final Random rng = new Random(345);

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        rng.nextBytes(b);
        return b;
    }

    // ---- well-formed files ----

    @Test
    void readsUncompressedImages() throws IOException {
        byte[] pixels = randomBytes(3 * 4 * 5);
        byte[] file = idx(Idx.IMAGES, new long[] {3, 4, 5}, pixels);
        IdxArray a = Idx.read(write(dir, "img-idx3-ubyte", file), Idx.IMAGES);
        assertEquals("img-idx3-ubyte", a.name());
        assertEquals(Idx.IMAGES, a.magic());
        assertEquals(3, a.rank());
        assertArrayEquals(new int[] {3, 4, 5}, a.dims());
        assertEquals(3, a.count());
        assertEquals(5, a.dim(2));
        assertArrayEquals(pixels, a.data());
        assertEquals(pixels[7] & 0xFF, a.unsigned(7));
        assertArrayEquals(Arrays.copyOf(file, 16), a.header());
        assertEquals(Fixtures.sha256(file), a.sha256());
        assertEquals("img-idx3-ubyte: IDX 0x00000803 [3, 4, 5]", a.toString());
    }

    @Test
    void gzipIsSniffedNotNamedAndHashesTheDecompressedBytes() throws IOException {
        byte[] file = labels((byte) 9, (byte) 0, (byte) 255);
        IdxArray plain = Idx.read(write(dir, "labels.gz", file));
        IdxArray packed = Idx.read(write(dir, "labels", gzip(file)));
        assertArrayEquals(plain.data(), packed.data());
        assertEquals(255, packed.unsigned(2));
        assertEquals(Fixtures.sha256(file), packed.sha256());
        assertEquals(plain.sha256(), packed.sha256());
    }

    @Test
    void readsAnyRank() throws IOException {
        for (int rank = 1; rank <= 5; rank++) {
            long[] dims = new long[rank];
            int size = 1;
            for (int i = 0; i < rank; i++) {
                dims[i] = 2 + i;
                size *= 2 + i;
            }
            byte[] payload = randomBytes(size);
            IdxArray a = Idx.parse(gzip(idx(0x800 | rank, dims, payload)), "rank" + rank);
            assertEquals(rank, a.rank());
            assertEquals(0x800 | rank, a.magic());
            assertArrayEquals(payload, a.data());
        }
    }

    @Test
    void readsEmptyDatasetAndLargePayloadFromStreams() throws IOException {
        IdxArray empty = Idx.read(new ByteArrayInputStream(labels()), "empty-labels", Idx.LABELS);
        assertEquals(0, empty.count());
        assertEquals(0, empty.data().length);
        // Larger than the first buffer: the growing read must double several times.
        int rows = 7;
        int cols = Idx.FIRST_CHUNK + 123;
        byte[] expected = randomBytes(rows * cols);
        byte[] file = idx(0x802, new long[] {rows, cols}, expected);
        IdxArray fromRawStream = Idx.read(new ByteArrayInputStream(file), "big");
        IdxArray fromGzip = Idx.read(new ByteArrayInputStream(gzip(file)), "big.gz");
        assertArrayEquals(expected, fromRawStream.data());
        assertArrayEquals(expected, fromGzip.data());
    }

    @Test
    void concatenatedGzipMembersAreOneStream() throws IOException {
        byte[] file = labels((byte) 1, (byte) 2, (byte) 3, (byte) 4, (byte) 5);
        byte[] twoMembers = concat(gzip(Arrays.copyOf(file, 7)), gzip(Arrays.copyOfRange(file, 7, file.length)));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, Idx.parse(twoMembers, "two-members.gz").data());
    }

    @Test
    void streamIsNotClosed() throws IOException {
        boolean[] closed = {false};
        InputStream in = new ByteArrayInputStream(labels((byte) 3)) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        Idx.read(in, "labels", Idx.LABELS);
        assertTrue(!closed[0]);
    }

    // ---- bad input: one test per error path, exact messages ----

    private static String failure(byte[] content, String name) {
        return assertThrows(IdxFormatException.class, () -> Idx.parse(content, name)).getMessage();
    }

    private String fileFailure(byte[] content, String name, int magic) throws IOException {
        Path file = write(dir, name, content);
        return assertThrows(IdxFormatException.class, () -> Idx.read(file, magic)).getMessage();
    }

    @Test
    void emptyFile() throws IOException {
        assertEquals("t10k-labels-idx1-ubyte.gz: empty file, expected gzip or IDX data",
                fileFailure(new byte[0], "t10k-labels-idx1-ubyte.gz", Idx.LABELS));
    }

    @Test
    void notGzipAndNotIdx() throws IOException {
        assertEquals("notes.txt: not gzip and not IDX: first bytes 0x68656C6C, expected 0x1F8B (gzip) or 0x0000 (IDX)",
                fileFailure("hello world".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "notes.txt",
                        Idx.IMAGES));
        assertEquals("one: not gzip and not IDX: first bytes 0x1F, expected 0x1F8B (gzip) or 0x0000 (IDX)",
                failure(new byte[] {0x1F}, "one"));
    }

    @Test
    void truncatedGzipInThePayload() {
        byte[] file = labels(randomBytes(1000));
        // Stored blocks: 10 bytes of gzip header, 5 of block header, then the IDX bytes as they are.
        byte[] packed = gzip(file, Deflater.NO_COMPRESSION);
        byte[] cut = Arrays.copyOf(packed, 10 + 5 + 600);
        assertEquals("labels.gz: truncated gzip: the compressed data ends after 600 of 1008 decompressed bytes",
                failure(cut, "labels.gz"));
    }

    @Test
    void truncatedGzipInTheIdxHeader() {
        byte[] packed = gzip(labels(randomBytes(50)), Deflater.NO_COMPRESSION);
        assertEquals("labels.gz: truncated gzip: the compressed data ends after 6 decompressed bytes, "
                + "inside the IDX header", failure(Arrays.copyOf(packed, 10 + 5 + 6), "labels.gz"));
        assertEquals("labels.gz: truncated gzip: the compressed data ends after 0 decompressed bytes, "
                + "inside the IDX header", failure(Arrays.copyOf(packed, 5), "labels.gz"));
    }

    @Test
    void truncatedGzipTrailer() {
        byte[] packed = gzip(labels(randomBytes(50)));
        assertEquals("labels.gz: truncated gzip: the compressed data ends after 58 decompressed bytes "
                + "(the IDX header declares 58), before the end of the gzip stream",
                failure(Arrays.copyOf(packed, packed.length - 3), "labels.gz"));
    }

    @Test
    void gzipCrcError() {
        byte[] packed = gzip(labels(randomBytes(50)));
        packed[packed.length - 8] ^= 0x01;
        assertEquals("labels.gz: corrupt gzip: Gzip-compressed data is corrupt (CRC32 error)",
                failure(packed, "labels.gz"));
    }

    @Test
    void gzipSizeError() {
        byte[] packed = gzip(labels(randomBytes(50)));
        packed[packed.length - 4] ^= 0x01;
        assertEquals("labels.gz: corrupt gzip: Gzip-compressed data is corrupt (uncompressed size mismatch)",
                failure(packed, "labels.gz"));
    }

    @Test
    void gzipCorruptDeflateData() {
        byte[] packed = gzip(labels(randomBytes(50)), Deflater.NO_COMPRESSION);
        // The first block header: BFINAL=1, BTYPE=11 (reserved, invalid).
        packed[10] = 0x07;
        assertEquals("labels.gz: corrupt gzip: Gzip-compressed data is corrupt", failure(packed, "labels.gz"));
    }

    @Test
    void gzipUnsupportedMethodAndTrailingGarbage() {
        byte[] packed = gzip(labels(randomBytes(5)));
        byte[] badMethod = packed.clone();
        badMethod[2] = 7;
        assertEquals("labels.gz: corrupt gzip: Unsupported compression method 7 in the .gz header",
                failure(badMethod, "labels.gz"));
        assertEquals("labels.gz: corrupt gzip: Unexpected data after a valid .gz stream",
                failure(concat(packed, new byte[] {1, 2, 3}), "labels.gz"));
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] labels = gzip(labels((byte) 1));
        assertEquals("train-images-idx3-ubyte.gz: magic: actual 0x00000801 != expected 0x00000803",
                fileFailure(labels, "train-images-idx3-ubyte.gz", Idx.IMAGES));
        assertEquals("x.gz: magic: actual 0x12340801, expected 0x000008NN (IDX of unsigned bytes)",
                failure(gzip(idx(0x12340801, new long[] {0}, new byte[0])), "x.gz"));
    }

    @Test
    void wrongElementType() throws IOException {
        byte[] floats = idx(0x00000D03, new long[] {1, 1, 1}, new byte[4]);
        assertEquals("f: element type: actual 0x0D != expected 0x08 (unsigned byte)", failure(floats, "f"));
        assertEquals("train-images-idx3-ubyte: magic: actual 0x00000D03 != expected 0x00000803",
                fileFailure(floats, "train-images-idx3-ubyte", Idx.IMAGES));
    }

    @Test
    void wrongRank() throws IOException {
        assertEquals("r: rank: actual 0, expected 1 to 255", failure(idx(0x800, new long[0], new byte[1]), "r"));
        byte[] rank2 = idx(0x802, new long[] {2, 2}, new byte[4]);
        assertEquals("t10k-labels-idx1-ubyte: magic: actual 0x00000802 != expected 0x00000801",
                fileFailure(rank2, "t10k-labels-idx1-ubyte", Idx.LABELS));
    }

    @Test
    void truncatedHeader() {
        assertEquals("h: truncated header: expected at least 4 bytes, read 2", failure(new byte[2], "h"));
        byte[] header = idx(Idx.IMAGES, new long[] {1, 28, 28}, new byte[0]);
        assertEquals("h: truncated header: expected 16 bytes for rank 3, read 9",
                failure(Arrays.copyOf(header, 9), "h"));
        assertEquals("h.gz: truncated header: expected 16 bytes for rank 3, read 9",
                failure(gzip(Arrays.copyOf(header, 9)), "h.gz"));
    }

    @Test
    void truncatedPayload() throws IOException {
        byte[] file = Arrays.copyOf(labels(randomBytes(10000)), 8 + 9412);
        assertEquals("t10k-labels-idx1-ubyte.gz: truncated: expected 10000 label bytes, read 9412",
                fileFailure(gzip(file), "t10k-labels-idx1-ubyte.gz", Idx.LABELS));
        assertEquals("t10k-labels-idx1-ubyte: truncated: expected 10000 label bytes, read 9412",
                fileFailure(file, "t10k-labels-idx1-ubyte", Idx.LABELS));
        assertEquals("s: truncated: expected 10000 label bytes, read 9412", assertThrows(IdxFormatException.class,
                () -> Idx.read(new ByteArrayInputStream(file), "s")).getMessage());
        byte[] images = Arrays.copyOf(idx(Idx.IMAGES, new long[] {2, 2, 2}, new byte[8]), 16 + 5);
        assertEquals("i: truncated: expected 8 image bytes, read 5", failure(images, "i"));
        byte[] rank2 = Arrays.copyOf(idx(0x802, new long[] {2, 2}, new byte[4]), 12 + 1);
        assertEquals("d: truncated: expected 4 data bytes, read 1", failure(rank2, "d"));
    }

    @Test
    void payloadLongerThanDeclared() throws IOException {
        byte[] file = concat(labels(randomBytes(10)), new byte[] {1, 2, 3});
        assertEquals("l: payload longer than declared: expected 10 label bytes, found 13",
                fileFailure(file, "l", Idx.LABELS));
        assertEquals("l.gz: payload longer than declared: expected 10 label bytes, found 13",
                fileFailure(gzip(file), "l.gz", Idx.LABELS));
        assertEquals("s: payload longer than declared: expected 10 label bytes, found 13",
                assertThrows(IdxFormatException.class,
                        () -> Idx.read(new ByteArrayInputStream(file), "s", Idx.LABELS)).getMessage());
    }

    @Test
    void headerDeclaringTwoToThe31ImagesIn100BytesAllocatesNothingLarge() throws IOException {
        byte[] file = Arrays.copyOf(idx(Idx.IMAGES, new long[] {1L << 31, 28, 28}, new byte[0]), 100);
        long before = Fixtures.allocatedBytes();
        assertEquals("train-images-idx3-ubyte: dims [2147483648, 28, 28] declare 1683627180032 image bytes, "
                + "more than a Java array holds (2147483639)",
                fileFailure(file, "train-images-idx3-ubyte", Idx.IMAGES));
        assertEquals("train-images-idx3-ubyte.gz: dims [2147483648, 28, 28] declare 1683627180032 image bytes, "
                + "more than a Java array holds (2147483639)",
                fileFailure(gzip(file), "train-images-idx3-ubyte.gz", Idx.IMAGES));
        long after = Fixtures.allocatedBytes();
        assumeTrue(before >= 0, "this JVM does not count allocated bytes");
        assertTrue(after - before < (8 << 20), "allocated " + (after - before) + " bytes");
    }

    @Test
    void headerDeclaringMoreThanTheStreamHoldsAllocatesNothingLarge() throws IOException {
        // 2^21 images of 28x28 = 1,644,167,168 bytes: a Java array could hold it, the file cannot.
        byte[] file = Arrays.copyOf(idx(Idx.IMAGES, new long[] {1L << 21, 28, 28}, new byte[0]), 100);
        long before = Fixtures.allocatedBytes();
        assertEquals("train-images-idx3-ubyte: truncated: expected 1644167168 image bytes, read 84",
                fileFailure(file, "train-images-idx3-ubyte", Idx.IMAGES));
        assertEquals("stream: truncated: expected 1644167168 image bytes, read 84", assertThrows(
                IdxFormatException.class, () -> Idx.read(new ByteArrayInputStream(file), "stream")).getMessage());
        long after = Fixtures.allocatedBytes();
        assumeTrue(before >= 0, "this JVM does not count allocated bytes");
        assertTrue(after - before < (8 << 20), "allocated " + (after - before) + " bytes");
    }

    @Test
    void aGzipFileDeclaringMoreThanDeflateCanExpandToIsRefusedFromTheHeader() throws IOException {
        // 2^21 images of 28x28 = 1,644,167,168 bytes in a gzip file of a few dozen bytes.
        byte[] gz = gzip(Arrays.copyOf(idx(Idx.IMAGES, new long[] {1L << 21, 28, 28}, new byte[0]), 100));
        long before = Fixtures.allocatedBytes();
        assertEquals("train-images-idx3-ubyte.gz: dims [2097152, 28, 28] declare 1644167184 bytes with the header, "
                + "more than a gzip file of " + gz.length + " bytes can hold (deflate expands at most 1032 times)",
                fileFailure(gz, "train-images-idx3-ubyte.gz", Idx.IMAGES));
        assertEquals("b.gz: dims [2097152, 28, 28] declare 1644167184 bytes with the header, more than a gzip file of "
                + gz.length + " bytes can hold (deflate expands at most 1032 times)", failure(gz, "b.gz"));
        long after = Fixtures.allocatedBytes();
        assumeTrue(before >= 0, "this JVM does not count allocated bytes");
        assertTrue(after - before < (1 << 20), "allocated " + (after - before) + " bytes");
        // At deflate's largest ratio the file is read: 1 MB of zeros compress about 1000 to 1.
        byte[] zeros = gzip(idx(Idx.LABELS, new long[] {1 << 20}, new byte[1 << 20]), 9);
        assertEquals(1 << 20, Idx.parse(zeros, "z.gz").count());
    }

    @Test
    void oneDimTooLargeForAnArray() {
        assertEquals("z: dims [0, 4294967295]: dim 4294967295 is more than a Java array holds (2147483639)",
                failure(idx(0x802, new long[] {0, 0xFFFFFFFFL}, new byte[0]), "z"));
    }

    @Test
    void badExpectedMagicIsTheCallersMistake() {
        Path file = dir.resolve("unused");
        assertEquals("expectedMagic: actual 0x00000D03, expected 0x00000801 to 0x000008FF (unsigned bytes, rank 1 to 255)",
                assertThrows(IllegalArgumentException.class, () -> Idx.read(file, 0x0D03)).getMessage());
        assertEquals("expectedMagic: actual 0x00000800, expected 0x00000801 to 0x000008FF (unsigned bytes, rank 1 to 255)",
                assertThrows(IllegalArgumentException.class,
                        () -> Idx.read(new ByteArrayInputStream(new byte[0]), "s", 0x800)).getMessage());
    }

    @Test
    void dimOutOfRange() throws IOException {
        IdxArray a = Idx.parse(labels((byte) 1), "l");
        assertEquals("l: axis 1 out of range for rank 1",
                assertThrows(IllegalArgumentException.class, () -> a.dim(1)).getMessage());
    }
}
