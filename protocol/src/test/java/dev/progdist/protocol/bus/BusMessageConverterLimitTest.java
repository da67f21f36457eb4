package dev.progdist.protocol.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.jms.BytesMessage;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A device-bus body over the limit is refused from its announced length, before a {@code byte[]}
 * of that size is allocated or a byte of it is read; a body of exactly the limit is accepted.
 */
class BusMessageConverterLimitTest {

    /** A BytesMessage that announces {@code length} bytes and records whether its body was read. */
    private static BytesMessage announcing(long length, AtomicBoolean read) {
        return (BytesMessage) Proxy.newProxyInstance(BytesMessage.class.getClassLoader(),
                new Class<?>[] {BytesMessage.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getBodyLength" -> length;
                    case "readBytes" -> {
                        read.set(true);
                        yield ((byte[]) args[0]).length;
                    }
                    case "getJMSDestination" -> null;
                    case "toString" -> "announcing " + length;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void aBodyOf1_5GiBIsRefusedWithoutAllocatingOrReadingIt() {
        AtomicBoolean read = new AtomicBoolean();
        BusMessageConverter converter = new BusMessageConverter(4_456_448);
        assertThatThrownBy(() -> converter.fromMessage(announcing(1_500_000_000L, read)))
                .isInstanceOf(BusMessageConverter.RefusedMessageException.class)
                .hasMessageContaining("1500000000 bytes").hasMessageContaining("limit is 4456448");
        assertThat(read).as("the body was read").isFalse();
    }

    @Test
    void theLimitItselfIsAcceptedAndOneByteMoreIsNot() throws Exception {
        AtomicBoolean read = new AtomicBoolean();
        BusMessageConverter converter = new BusMessageConverter(4_456_448);
        assertThat((byte[]) converter.fromMessage(announcing(4_456_448, read))).hasSize(4_456_448);
        assertThat(read).isTrue();
        assertThatThrownBy(() -> converter.fromMessage(announcing(4_456_449, new AtomicBoolean())))
                .satisfies(e -> assertThat(BusMessageConverter.isRefusal(e)).isTrue());
    }
}
