package org.grad4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.grad4j.core.Shape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    private static void assertIae(String expected, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertEquals(expected, e.getMessage());
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    private List<String> dirListing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private SafeTensors roundTrip(SafeTensors st) throws IOException {
        Path f = dir.resolve("rt.safetensors");
        st.write(f);
        return SafeTensors.read(f);
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void roundTripsF32AndI64WithShapesOrderAndMetadata() throws IOException {
        Tensor w = Tensor.of(new float[] {1, -2, 3.5f, 4, 5, 6e-8f}, 2, 3);
        SafeTensors back = roundTrip(new SafeTensors()
                .put("w", w)
                .putLongs("labels", new long[] {3, -1, Long.MAX_VALUE, Long.MIN_VALUE}, 2, 2)
                .put("b", Tensor.of(new float[] {0.25f, -0.5f}))
                .putMetadata("op", "linear")
                .putMetadata("lr", "0.1"));

        assertEquals(List.of("w", "labels", "b"), List.copyOf(back.names()));
        assertEquals(DType.F32, back.dtype("w"));
        assertEquals(DType.I64, back.dtype("labels"));
        assertEquals(Shape.of(2, 3), back.shape("w"));
        assertEquals(Shape.of(2, 2), back.shape("labels"));
        assertEquals(Shape.of(2), back.shape("b"));
        assertArrayEquals(w.toArray(), back.tensor("w").toArray());
        assertEquals(Shape.of(2, 3), back.tensor("w").shape());
        assertArrayEquals(new long[] {3, -1, Long.MAX_VALUE, Long.MIN_VALUE}, back.longs("labels"));
        assertArrayEquals(new float[] {0.25f, -0.5f}, back.tensor("b").toArray());
        assertEquals(Map.of("op", "linear", "lr", "0.1"), back.metadata());
        assertEquals(List.of("op", "lr"), List.copyOf(back.metadata().keySet()));
        assertTrue(back.contains("b"));
        assertFalse(back.contains("c"));
    }

    @Test
    void parseReadsTheBytesOfAFileAsReadDoes() throws IOException {
        Path f = dir.resolve("m.safetensors");
        new SafeTensors().put("w", Tensor.of(new float[] {1, 2, 3}, 3, 1)).putLongs("n", new long[] {7})
                .putMetadata("k", "v").write(f);
        byte[] bytes = Files.readAllBytes(f);
        SafeTensors parsed = SafeTensors.parse(bytes, "in memory");
        SafeTensors read = SafeTensors.read(f);
        assertEquals(List.copyOf(read.names()), List.copyOf(parsed.names()));
        assertArrayEquals(read.tensor("w").toArray(), parsed.tensor("w").toArray());
        assertEquals(read.shape("w"), parsed.shape("w"));
        assertArrayEquals(read.longs("n"), parsed.longs("n"));
        assertEquals(read.metadata(), parsed.metadata());
        SafeTensorsFormatException e = assertThrows(SafeTensorsFormatException.class,
                () -> SafeTensors.parse(java.util.Arrays.copyOf(bytes, bytes.length - 1), "in memory"));
        assertEquals("in memory: data ends at byte 20 of the data section, but the file holds 19 bytes of data",
                e.getMessage());
    }

    @Test
    void roundTripsSpecialFloatsBitForBit() throws IOException {
        float[] v = {Float.NaN, Float.intBitsToFloat(0x7fc00001), -0f, 0f, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MAX_VALUE, 1e-40f};
        SafeTensors back = roundTrip(new SafeTensors().put("v", Tensor.of(v)));
        assertArrayEquals(bits(v), bits(back.tensor("v").toArray()));
    }

    @Test
    void roundTripsScalars() throws IOException {
        SafeTensors back = roundTrip(new SafeTensors()
                .put("loss", Tensor.scalar(2.5f))
                .putLongs("bn1.num_batches_tracked", new long[] {7}, Shape.SCALAR));
        assertEquals(Shape.SCALAR, back.shape("loss"));
        assertEquals(Shape.SCALAR, back.tensor("loss").shape());
        assertEquals(2.5f, back.tensor("loss").item());
        assertEquals(Shape.SCALAR, back.shape("bn1.num_batches_tracked"));
        assertArrayEquals(new long[] {7}, back.longs("bn1.num_batches_tracked"));
    }

    @Test
    void roundTripsEmptyTensors() throws IOException {
        SafeTensors back = roundTrip(new SafeTensors()
                .put("a", Tensor.zeros(0))
                .put("b", Tensor.zeros(2, 0, 3))
                .putLongs("c", new long[0], 0, 5)
                .put("d", Tensor.of(new float[] {1, 2})));
        assertEquals(Shape.of(0), back.shape("a"));
        assertEquals(Shape.of(2, 0, 3), back.tensor("b").shape());
        assertEquals(0, back.tensor("b").size());
        assertEquals(Shape.of(0, 5), back.shape("c"));
        assertEquals(0, back.longs("c").length);
        assertArrayEquals(new float[] {1, 2}, back.tensor("d").toArray());
    }

    @Test
    void roundTripsAnEmptyCollection() throws IOException {
        Path f = dir.resolve("empty.safetensors");
        new SafeTensors().write(f);
        assertArrayEquals(concat(le(8), "{}      ".getBytes(StandardCharsets.US_ASCII)), Files.readAllBytes(f));
        SafeTensors back = SafeTensors.read(f);
        assertTrue(back.names().isEmpty());
        assertTrue(back.metadata().isEmpty());
    }

    @Test
    void roundTripsUnicodeQuotesAndControlCharactersInNamesAndMetadata() throws IOException {
        String name = "conv\"1\".weight\\ é 😀\n";
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("layers", "conv1(1,6,5) \"bn1\" sigmoid\tmaxpool\\2");
        meta.put("größe 😀", "Größe: 28×28, \u0001\u001f\u007f \u2028 end");
        meta.put("empty", "");
        SafeTensors st = new SafeTensors().put(name, Tensor.of(new float[] {1}));
        meta.forEach(st::putMetadata);
        SafeTensors back = roundTrip(st);
        assertEquals(List.of(name), List.copyOf(back.names()));
        assertEquals(meta, back.metadata());
        assertEquals(List.copyOf(meta.keySet()), List.copyOf(back.metadata().keySet()));
    }

    @Test
    void roundTripsTensorsLargerThanTheIoChunk() throws IOException {
        Random rng = new Random(345);
        float[] f = new float[100_009];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) rng.nextGaussian();
        }
        long[] l = new long[20_001];
        for (int i = 0; i < l.length; i++) {
            l[i] = rng.nextLong();
        }
        SafeTensors back = roundTrip(new SafeTensors().put("f", Tensor.of(f, 7, 14_287, 1))
                .putLongs("l", l, 3, 6667));
        assertArrayEquals(f, back.tensor("f").toArray());
        assertArrayEquals(l, back.longs("l"));
    }

    @Test
    void writerVersusReaderOverRandomShapes() throws IOException {
        Random rng = new Random(345);
        for (int trial = 0; trial < 100; trial++) {
            SafeTensors st = new SafeTensors();
            Map<String, Shape> shapes = new LinkedHashMap<>();
            Map<String, Object> values = new LinkedHashMap<>();
            int count = rng.nextInt(6);
            for (int t = 0; t < count; t++) {
                int[] dims = new int[rng.nextInt(5)];
                for (int d = 0; d < dims.length; d++) {
                    dims[d] = rng.nextInt(10) == 0 ? 0 : 1 + rng.nextInt(4);
                }
                Shape shape = Shape.of(dims);
                String name = "t" + t + (rng.nextBoolean() ? ".weight" : "/é\"" + rng.nextInt(100));
                if (rng.nextBoolean()) {
                    float[] v = new float[shape.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Float.intBitsToFloat(rng.nextInt());
                    }
                    st.put(name, dims.length == 0 ? Tensor.scalar(v[0]) : Tensor.of(v, dims));
                    values.put(name, v);
                } else {
                    long[] v = rng.longs(shape.size()).toArray();
                    st.putLongs(name, v, shape);
                    values.put(name, v);
                }
                shapes.put(name, shape);
            }
            Map<String, String> meta = new LinkedHashMap<>();
            for (int m = rng.nextInt(3); m > 0; m--) {
                meta.put("k" + m + "\u00e9".repeat(rng.nextInt(3)), "v".repeat(rng.nextInt(9)) + "\"");
            }
            meta.forEach(st::putMetadata);

            Path f = dir.resolve("p" + trial + ".safetensors");
            st.write(f);
            byte[] bytes = Files.readAllBytes(f);
            long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, (8 + headerLength) % 8, "header padding");

            SafeTensors back = SafeTensors.read(f);
            assertEquals(List.copyOf(shapes.keySet()), List.copyOf(back.names()));
            assertEquals(meta, back.metadata());
            for (Map.Entry<String, Shape> e : shapes.entrySet()) {
                String name = e.getKey();
                assertEquals(e.getValue(), back.shape(name), name);
                if (values.get(name) instanceof float[] v) {
                    assertEquals(DType.F32, back.dtype(name));
                    assertEquals(e.getValue(), back.tensor(name).shape());
                    assertArrayEquals(bits(v), bits(back.tensor(name).toArray()), name);
                } else {
                    assertEquals(DType.I64, back.dtype(name));
                    assertArrayEquals((long[]) values.get(name), back.longs(name), name);
                }
            }
        }
    }

    // ---------------------------------------------------------------- the bytes

    static byte[] le(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static byte[] concat(byte[]... parts) {
        return SafeTensorsFormatTest.concat(parts);
    }

    @Test
    void writesMetadataFirstPaddedHeaderAndLittleEndianData() throws IOException {
        Path f = dir.resolve("x.safetensors");
        new SafeTensors()
                .put("w", Tensor.of(new float[] {1f, -2f}))
                .putLongs("n", new long[] {258}, Shape.SCALAR)
                .putMetadata("lr", "0.1")
                .write(f);
        String json = "{\"__metadata__\":{\"lr\":\"0.1\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        assertEquals(135, json.length());
        byte[] header = (json + " ").getBytes(StandardCharsets.US_ASCII);
        byte[] data = {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, (byte) 0xc0, 2, 1, 0, 0, 0, 0, 0, 0};
        assertArrayEquals(concat(le(136), header, data), Files.readAllBytes(f));
    }

    @Test
    void padsAfterEncodingNonAsciiAsUtf8() throws IOException {
        Random rng = new Random(345);
        for (int n = 0; n < 24; n++) {
            Path f = dir.resolve("pad" + n + ".safetensors");
            StringBuilder value = new StringBuilder();
            for (int i = 0; i < n; i++) {
                value.append(rng.nextBoolean() ? "é" : rng.nextBoolean() ? "😀" : "a");
            }
            new SafeTensors().putMetadata("k", value.toString()).write(f);
            byte[] bytes = Files.readAllBytes(f);
            long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(bytes.length, 8 + headerLength);
            assertEquals(0, headerLength % 8);
            String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
            assertEquals("{\"__metadata__\":{\"k\":\"" + value + "\"}}", header.stripTrailing());
            assertTrue(header.length() - header.stripTrailing().length() < 8, "at most 7 spaces of padding");
        }
    }

    @Test
    void readsHeadersInAnyKeyOrderWithWhitespaceAndEscapes() throws IOException {
        // Offsets in another order than the keys, metadata last, JSON whitespace and escapes: all legal.
        String header = "{ \"b\\u00e9\" : {\"shape\": [2], \"dtype\": \"I64\", \"data_offsets\": [8, 24]},\n"
                + "  \"a\": {\"data_offsets\": [0, 8], \"dtype\": \"F32\", \"shape\": [1, 2]},\n"
                + "  \"e\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [24, 24]},\n"
                + "  \"__metadata__\": {\"note\": \"tab\\there \\\"quoted\\\" \\ud83d\\ude00\"}\t}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1.5f).putFloat(-3f).putLong(-5).putLong(1L << 40);
        Path f = Files.write(dir.resolve("any.safetensors"), concat(le(h.length), h, data.array()));

        SafeTensors st = SafeTensors.read(f);
        assertEquals(List.of("bé", "a", "e"), List.copyOf(st.names()));
        assertArrayEquals(new long[] {-5, 1L << 40}, st.longs("bé"));
        assertEquals(Shape.of(1, 2), st.tensor("a").shape());
        assertArrayEquals(new float[] {1.5f, -3f}, st.tensor("a").toArray());
        assertEquals(Shape.of(0), st.shape("e"));
        assertEquals(Map.of("note", "tab\there \"quoted\" 😀"), st.metadata());
    }

    // ---------------------------------------------------------------- atomic writes

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Files.writeString(f, "old contents");
        new SafeTensors().put("w", Tensor.of(new float[] {1, 2})).write(f);
        new SafeTensors().put("v", Tensor.of(new float[] {3})).write(f);
        assertEquals(List.of("ckpt.safetensors"), dirListing());
        assertEquals(List.of("v"), List.copyOf(SafeTensors.read(f).names()));
    }

    @Test
    void failedWriteKeepsTheOldTargetAndDeletesTheTemporaryFile() throws IOException {
        // The target is a non-empty directory: the final move must fail, whoever runs the test.
        Path target = dir.resolve("ckpt.safetensors");
        Files.createDirectory(target);
        Files.writeString(target.resolve("keep.txt"), "old");
        SafeTensors st = new SafeTensors().put("w", Tensor.of(new float[] {1, 2}));
        assertThrows(IOException.class, () -> st.write(target));
        assertEquals(List.of("ckpt.safetensors"), dirListing());
        assertTrue(Files.isDirectory(target));
        assertEquals("old", Files.readString(target.resolve("keep.txt")));
    }

    @Test
    void writeIntoAMissingDirectoryFailsWithoutCreatingAnything() {
        Path f = dir.resolve("missing").resolve("x.safetensors");
        assertThrows(NoSuchFileException.class, () -> new SafeTensors().write(f));
        assertFalse(Files.exists(dir.resolve("missing")));
    }

    // ---------------------------------------------------------------- copies and API errors

    @Test
    void putCopiesAndGettersReturnCopies() {
        float[] values = {1, 2, 3};
        Tensor t = Tensor.of(values);
        long[] longs = {4, 5};
        SafeTensors st = new SafeTensors().put("t", t).putLongs("l", longs);
        t.set(9, 0);
        longs[0] = 9;
        assertArrayEquals(new float[] {1, 2, 3}, st.tensor("t").toArray());
        assertArrayEquals(new long[] {4, 5}, st.longs("l"));
        st.tensor("t").set(7, 1);
        st.longs("l")[1] = 7;
        assertArrayEquals(new float[] {1, 2, 3}, st.tensor("t").toArray());
        assertArrayEquals(new long[] {4, 5}, st.longs("l"));
        assertFalse(st.tensor("t").requiresGrad());
    }

    @Test
    void viewsAreUnmodifiable() {
        SafeTensors st = new SafeTensors().put("t", Tensor.scalar(1)).putMetadata("k", "v");
        assertThrows(UnsupportedOperationException.class, () -> st.names().remove("t"));
        assertThrows(UnsupportedOperationException.class, () -> st.metadata().put("x", "y"));
    }

    @Test
    void intsConvertsI64Labels() {
        SafeTensors st = new SafeTensors().putLongs("labels", new long[] {0, 9, -3, Integer.MAX_VALUE});
        assertArrayEquals(new int[] {0, 9, -3, Integer.MAX_VALUE}, st.ints("labels"));
    }

    @Test
    void intsChecksTheRange() {
        SafeTensors st = new SafeTensors().putLongs("labels", new long[] {1, 2, 3_000_000_000L});
        assertIae("ints: tensor 'labels' holds 3000000000 at index 2, outside the int range",
                () -> st.ints("labels"));
    }

    @Test
    void wrongDtypeGetters() {
        SafeTensors st = new SafeTensors().put("x", Tensor.scalar(1)).putLongs("labels", new long[] {1});
        assertIae("tensor: tensor 'labels' is I64, use longs() or ints()", () -> st.tensor("labels"));
        assertIae("longs: tensor 'x' is F32, use tensor()", () -> st.longs("x"));
        assertIae("ints: tensor 'x' is F32, use tensor()", () -> st.ints("x"));
    }

    @Test
    void unknownNameListsWhatIsThere() {
        SafeTensors st = new SafeTensors();
        assertIae("tensor: no tensor 'w' (there are none)", () -> st.tensor("w"));
        for (String n : new String[] {"x", "w", "b", "y", "dy", "dx", "dw"}) {
            st.put(n, Tensor.scalar(0));
        }
        assertIae("shape: no tensor 'W' (available: 'x', 'w', 'b', 'y', 'dy', ... 7 in all)", () -> st.shape("W"));
        SafeTensors two = new SafeTensors().put("a", Tensor.scalar(0)).putLongs("b", new long[] {1});
        assertIae("dtype: no tensor 'c' (available: 'a', 'b')", () -> two.dtype("c"));
        assertIae("longs: no tensor 'c' (available: 'a', 'b')", () -> two.longs("c"));
    }

    @Test
    void rejectsBadTensorNames() {
        SafeTensors st = new SafeTensors().put("w", Tensor.scalar(0));
        Tensor t = Tensor.scalar(1);
        assertIae("put: the tensor name must not be empty", () -> st.put("", t));
        assertIae("put: '__metadata__' is reserved for the metadata, use putMetadata", () -> st.put("__metadata__", t));
        assertIae("put: duplicate tensor name 'w'", () -> st.put("w", t));
        assertIae("putLongs: duplicate tensor name 'w'", () -> st.putLongs("w", new long[] {1}));
        assertIae("putLongs: the tensor name must not be empty", () -> st.putLongs("", new long[] {1}, Shape.SCALAR));
        assertIae("put: tensor name 'a\\ud800' holds an unpaired surrogate at index 1 (not encodable as UTF-8)",
                () -> st.put("a\ud800", t));
        assertThrows(NullPointerException.class, () -> st.put(null, t));
        assertThrows(NullPointerException.class, () -> st.put("v", null));
        assertEquals(List.of("w"), List.copyOf(st.names()));
    }

    @Test
    void rejectsLongsThatDoNotFillTheShape() {
        SafeTensors st = new SafeTensors();
        assertIae("putLongs: 5 values do not fill shape [2, 3] of 'l' (expected 6)",
                () -> st.putLongs("l", new long[5], 2, 3));
        assertIae("putLongs: 2 values do not fill shape [] of 'l' (expected 1)",
                () -> st.putLongs("l", new long[2], Shape.SCALAR));
        assertThrows(IllegalArgumentException.class, () -> st.putLongs("l", new long[0], -1));
        assertTrue(st.names().isEmpty());
    }

    @Test
    void rejectsBadMetadata() {
        SafeTensors st = new SafeTensors().putMetadata("lr", "0.1");
        assertIae("putMetadata: duplicate key 'lr'", () -> st.putMetadata("lr", "0.2"));
        assertIae("putMetadata: the key must not be empty", () -> st.putMetadata("", "x"));
        assertIae("putMetadata: value of 'k' 'x\\udc00' holds an unpaired surrogate at index 1 "
                + "(not encodable as UTF-8)", () -> st.putMetadata("k", "x\udc00"));
        assertThrows(NullPointerException.class, () -> st.putMetadata("k", null));
        assertEquals(Map.of("lr", "0.1"), st.metadata());
        // A metadata key may look like anything, the reserved tensor name included.
        st.putMetadata("__metadata__", "ok");
        assertEquals(List.of("lr", "__metadata__"), new ArrayList<>(st.metadata().keySet()));
    }
}
