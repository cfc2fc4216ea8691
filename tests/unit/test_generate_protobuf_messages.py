"""The generator joins proto fields to Go struct tags the way encoding/json reads them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "generate_protobuf_messages.py"

PROTO = """
syntax = "proto2";

package k8s.io.api.demo.v1;

import "k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto";

// Widget is a demo kind.
message Widget {
  // +optional
  optional .k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta metadata = 1;

  optional WidgetSpec spec = 2;
}

message WidgetSpec {
  optional int32 replicas = 1;

  repeated string names = 2;

  map<string, bytes> blobs = 3;

  optional Handler handler = 4;

  optional int32 port = 5;

  optional bytes secret = 6;

  optional Tags tags = 7;
}

message Handler {
  optional string path = 1;
}

// +protobuf.nullable=true
message Tags {
  repeated string items = 1;
}
"""

GO = """
package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Widget is a demo kind.
type Widget struct {
	metav1.TypeMeta `json:",inline"`
	// Standard metadata; a { in a comment must not confuse the parser.
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	Spec WidgetSpec `json:"spec" protobuf:"bytes,2,opt,name=spec"`
}

type WidgetSpec struct {
	Names []string `json:"names,omitempty" protobuf:"bytes,2,rep,name=names"`
	Replicas *int32 `json:"replicas,omitempty,omitzero" protobuf:"varint,1,opt,name=replicas"`
	Blobs map[string][]byte `json:"blobs,omitempty" protobuf:"bytes,3,rep,name=blobs"`
	Handler `json:",inline" protobuf:"bytes,4,opt,name=handler"` // promoted
	Port int32 `json:"port" protobuf:"varint,5,opt,name=port"`
	Secret []byte `json:"-" protobuf:"bytes,6,opt,name=secret"`
	Tags Tags `protobuf:"bytes,7,opt,name=tags"`
}

type Handler struct {
	Path string `json:"path,omitempty" protobuf:"bytes,1,opt,name=path"`
}

type Tags []string
"""


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_protobuf_messages", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def package(generator: ModuleType) -> object:
    proto_name, imports, messages = generator.parse_proto(PROTO)
    package = generator.Package(
        proto_name, "k8s.io/api/demo/v1", "demo/v1", True, imports, messages
    )
    generator.read_go_file(package, GO)
    return package


def test_parse_proto(generator: ModuleType) -> None:
    proto_name, imports, messages = generator.parse_proto(PROTO)

    assert proto_name == "k8s.io.api.demo.v1"
    assert imports == ["k8s.io/apimachinery/pkg/apis/meta/v1"]
    assert list(messages) == ["Widget", "WidgetSpec", "Handler", "Tags"]
    assert messages["WidgetSpec"][2] == generator.ProtoField(3, "blobs", ("string", "bytes"), False)
    assert messages["WidgetSpec"][1].repeated


def test_records_follow_go_order_and_json_tags(generator: ModuleType, package: object) -> None:
    records = generator.message_records({}, package, "WidgetSpec")

    assert records == [
        [2, "names", "string", "ro"],
        [1, "replicas", "int32", "poz"],
        [3, "blobs", ["string", "bytes"], "o"],
        [4, "handler", "Handler", "i"],
        [5, "port", "int32"],
        [6, "secret", "bytes", "x"],
        [7, "Tags", "Tags"],
    ]


def test_embedded_struct_with_a_json_name_is_not_inlined(
    generator: ModuleType, package: object
) -> None:
    records = generator.message_records({}, package, "Widget")

    assert records == [
        [1, "metadata", "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "o"],
        [2, "spec", "WidgetSpec"],
    ]


def test_named_slice_messages_are_lists(generator: ModuleType, package: object) -> None:
    assert generator.is_list_wrapper(package, "Tags")
    assert not generator.is_list_wrapper(package, "Handler")


def test_a_proto_field_without_go_field_is_an_error(generator: ModuleType, package: object) -> None:
    package.structs["Handler"] = [  # type: ignore[attr-defined]
        generator.GoField("Other", "string", False, "other", 9)
    ]

    with pytest.raises(ValueError, match="no field 9"):
        generator.message_records({}, package, "Handler")
