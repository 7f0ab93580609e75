package dev.jbuild.build.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The frames between build and worker: blob chunks in their own frame among serialized ones. */
class WorkerProtocolTest {

  @Test
  void blobChunksAndMessagesComeBackInOrder() throws IOException {
    byte[] chunk = new byte[256 * 1024];
    new Random(7).nextBytes(chunk);
    ByteArrayOutputStream pipe = new ByteArrayOutputStream();
    DataOutputStream out = WorkerProtocol.output(pipe);
    WorkerProtocol.write(out, new WorkerProtocol.Output(3, "hello"));
    WorkerProtocol.writeData(out, 3, chunk, 1000, 5000);
    WorkerProtocol.write(out, new WorkerProtocol.Data(4, new byte[] {1, 2, 3}));
    WorkerProtocol.writeData(out, 3, chunk, 0, 0);
    WorkerProtocol.write(out, new WorkerProtocol.Failed(3, 1, "", List.of("x")));

    DataInputStream in = WorkerProtocol.input(new ByteArrayInputStream(pipe.toByteArray()));
    assertThat(WorkerProtocol.read(in)).isEqualTo(new WorkerProtocol.Output(3, "hello"));
    WorkerProtocol.Data d = (WorkerProtocol.Data) WorkerProtocol.read(in);
    assertThat(d.id()).isEqualTo(3);
    assertThat(d.bytes()).isEqualTo(java.util.Arrays.copyOfRange(chunk, 1000, 6000));
    WorkerProtocol.Data small = (WorkerProtocol.Data) WorkerProtocol.read(in);
    assertThat(small.id()).isEqualTo(4);
    assertThat(small.bytes()).containsExactly(1, 2, 3);
    assertThat(((WorkerProtocol.Data) WorkerProtocol.read(in)).bytes()).isEmpty();
    assertThat(WorkerProtocol.read(in)).isInstanceOf(WorkerProtocol.Failed.class);
    assertThat(WorkerProtocol.read(in)).isNull();
  }

  @Test
  void aDataFrameWithANegativeLengthIsRefused() throws IOException {
    ByteArrayOutputStream pipe = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(pipe);
    out.writeInt(-1);
    out.writeLong(3);
    out.writeInt(-5);
    DataInputStream in = WorkerProtocol.input(new ByteArrayInputStream(pipe.toByteArray()));
    assertThatThrownBy(() -> WorkerProtocol.read(in)).isInstanceOf(IOException.class)
        .hasMessageContaining("data frame");
  }
}
