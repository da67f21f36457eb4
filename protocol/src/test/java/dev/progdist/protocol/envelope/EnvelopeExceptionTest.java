package dev.progdist.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.protocol.channel.ChannelCode;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnvelopeExceptionTest {

    @Test
    void everyCodeIsTheChannelCodeWithTheSameLabel() {
        List<EnvelopeException> all = List.of(EnvelopeException.malformed(), EnvelopeException.wrongRecipient(),
                EnvelopeException.unwrapFailed(), EnvelopeException.authenticationFailed(),
                EnvelopeException.unsupportedKey(), EnvelopeException.io(new IOException("x")));
        for (EnvelopeException e : all) {
            assertThat(e.reason().label()).isEqualTo(e.code());
            assertThat(e.reason().origin()).isEqualTo(ChannelCode.Origin.ENVELOPE);
        }
        assertThat(all.stream().map(EnvelopeException::reason).distinct()).hasSize(all.size());
    }
}
