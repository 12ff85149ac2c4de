package pii

import (
	"slices"
	"testing"
)

// TestPIIBesideUnspacedScripts: Chinese, Japanese and Thai put no space between words, and
// Korean attaches its particles to the word before, so a value written in such text touches
// the letters around it. It is still the value, and those letters are not part of it (found
// from outside: "電話番号は090-1234-5678です" found no PHONE, and the EMAIL of
// "メールはtaro@example.jpまでお願いします" spanned the whole sentence).
func TestPIIBesideUnspacedScripts(t *testing.T) {
	a := newPIITest(t)
	cases := []struct {
		text string
		want []string
	}{
		{"電話番号は090-1234-5678です。", []string{"PHONE:090-1234-5678"}},
		{"电话+86 138 0013 8000。", []string{"PHONE:+86 138 0013 8000"}},
		{"カード番号4111 1111 1111 1111で支払いました", []string{"CREDIT_DEBIT_NUMBER:4111 1111 1111 1111"}},
		{"전화번호는 010-1234-5678입니다", []string{"PHONE:010-1234-5678"}},
		{"บัตรเครดิต4111111111111111ครับ", []string{"CREDIT_DEBIT_NUMBER:4111111111111111"}},
		{"メールはtaro@example.jpまでお願いします", []string{"EMAIL:taro@example.jp"}},
		{"我的邮箱是zhang.wei@example.cn，谢谢", []string{"EMAIL:zhang.wei@example.cn"}},
		{"이메일은kim@example.kr입니다", []string{"EMAIL:kim@example.kr"}},
		// An address written wholly in such a script is one address.
		{"宛先は 用户@例子.广告 です", []string{"EMAIL:用户@例子.广告"}},
		// Latin and other spaced scripts still join: a code inside a longer word is none.
		{"Ref éGB82WEST12345698765432", []string{}},
		{"SKU_ABCPE1234F", []string{}},
	}
	for _, c := range cases {
		got := render(c.text, a.Detect(c.text))
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.text, got, c.want)
		}
	}
}
