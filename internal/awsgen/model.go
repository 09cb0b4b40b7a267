package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// model is the subset of a botocore service model (service-2.json) that the
// generator reads.
type model struct {
	Metadata   metadata              `json:"metadata"`
	Operations map[string]*operation `json:"operations"`
	Shapes     map[string]*shape     `json:"shapes"`
}

type metadata struct {
	APIVersion         string    `json:"apiVersion"`
	EndpointPrefix     string    `json:"endpointPrefix"`
	JSONVersion        string    `json:"jsonVersion"`
	Protocol           string    `json:"protocol"`
	Protocols          []string  `json:"protocols"`
	ServiceID          string    `json:"serviceId"`
	SigningName        string    `json:"signingName"`
	TargetPrefix       string    `json:"targetPrefix"`
	XMLNamespace       string    `json:"xmlNamespace"`
	AWSQueryCompatible *struct{} `json:"awsQueryCompatible"`
}

type operation struct {
	Name string `json:"name"`
	HTTP struct {
		Method       string `json:"method"`
		RequestURI   string `json:"requestUri"`
		ResponseCode int    `json:"responseCode"`
	} `json:"http"`
	Input      *shapeRef  `json:"input"`
	Output     *shapeRef  `json:"output"`
	Errors     []shapeRef `json:"errors"`
	Deprecated bool       `json:"deprecated"`
}

type shapeRef struct {
	Shape            string `json:"shape"`
	Location         string `json:"location"`
	LocationName     string `json:"locationName"`
	Flattened        bool   `json:"flattened"`
	XMLAttribute     bool   `json:"xmlAttribute"`
	TimestampFormat  string `json:"timestampFormat"`
	JSONValue        bool   `json:"jsonvalue"`
	EventPayload     bool   `json:"eventpayload"`
	Streaming        bool   `json:"streaming"`
	HostLabel        bool   `json:"hostLabel"`
	IdempotencyToken bool   `json:"idempotencyToken"`
	ResultWrapper    string `json:"resultWrapper"`
}

type shape struct {
	Type      string               `json:"type"`
	Members   map[string]*shapeRef `json:"members"`
	Required  []string             `json:"required"`
	Member    *shapeRef            `json:"member"`
	Key       *shapeRef            `json:"key"`
	Value     *shapeRef            `json:"value"`
	Enum      []string             `json:"enum"`
	Min       *float64             `json:"min"`
	Max       *float64             `json:"max"`
	Pattern   string               `json:"pattern"`
	Payload   string               `json:"payload"`
	Exception bool                 `json:"exception"`
	Fault     bool                 `json:"fault"`
	Error     *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`
	EventStream     bool   `json:"eventstream"`
	Streaming       bool   `json:"streaming"`
	Flattened       bool   `json:"flattened"`
	LocationName    string `json:"locationName"`
	TimestampFormat string `json:"timestampFormat"`
	Union           bool   `json:"union"`
	Document        bool   `json:"document"`
}

// loadModel reads the newest service-2.json(.gz) under dir.
func loadModel(dir string) (*model, error) {
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "service-2.json*"))
	if len(matches) == 0 {
		return nil, fmt.Errorf("no service-2.json under %s", dir)
	}
	sort.Strings(matches)
	path := matches[len(matches)-1]
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var dec *json.Decoder
	if filepath.Ext(path) == ".gz" {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		dec = json.NewDecoder(zr)
	} else {
		dec = json.NewDecoder(f)
	}
	var m model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	for name, op := range m.Operations {
		if op.Name == "" {
			op.Name = name
		}
	}
	return &m, nil
}
