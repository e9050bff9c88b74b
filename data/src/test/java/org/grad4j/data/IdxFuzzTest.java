package org.grad4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the IDX reader with arbitrary bytes, raw or gzip. In a normal test run this replays the
 * regression inputs in {@code src/test/resources/org/grad4j/data/IdxFuzzTestInputs/idx/}; with
 * {@code JAZZER_FUZZ=1} it fuzzes (see docs/data.md).
 *
 * <p>The property: the reader either returns content consistent with its header or throws an
 * {@link IdxFormatException} naming the input. Any other exception or error (an
 * {@code OutOfMemoryError} from a hostile header, an index error) is a finding.
 */
class IdxFuzzTest {
    @FuzzTest(maxDuration = "3m")
    void idx(byte[] input) {
        IdxArray a;
        try {
            a = Idx.parse(input, "fuzz");
        } catch (IdxFormatException e) {
            assertTrue(e.getMessage().startsWith("fuzz: "), e.getMessage());
            return;
        }
        long product = 1;
        for (int d : a.dims()) {
            assertTrue(d >= 0);
            product *= d;
        }
        assertEquals(product, a.data().length);
        assertEquals(0x800 | a.rank(), a.magic());
        assertTrue(a.rank() >= 1);
        // What was read round-trips: header plus payload is the (decompressed) input.
        byte[] header = a.header();
        byte[] again = new byte[header.length + a.data().length];
        System.arraycopy(header, 0, again, 0, header.length);
        System.arraycopy(a.data(), 0, again, header.length, a.data().length);
        IdxArray b;
        try {
            b = Idx.parse(again, "again");
        } catch (IdxFormatException e) {
            throw new AssertionError("re-reading what was read failed: " + e.getMessage(), e);
        }
        assertArrayEquals(a.dims(), b.dims());
        assertArrayEquals(a.data(), b.data());
        assertEquals(a.sha256(), b.sha256());
    }
}
